"""Java's text forms of values (Double.toString), vectorized for the common cases."""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.compute as pc


def java_double(value: float) -> str:
    """Double.toString: plain between 1e-3 and 1e7, else computerized scientific notation."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if "." in text else text + ".0"
    if magnitude == 5e-324:
        # Double.MIN_VALUE: Java keeps two digits where the shortest form has one.
        return "-4.9E-324" if value < 0 else "4.9E-324"
    exponent = f"{value:e}".partition("e")[2]
    shortest = repr(value)
    # repr gives the shortest round-tripping digits; rebuild them as d.dddE<exp>.
    mantissa = shortest.split("e")[0].replace("-", "").replace(".", "").lstrip("0") or "0"
    mantissa = mantissa.rstrip("0") or "0"
    exp = int(exponent)
    head, tail = mantissa[0], mantissa[1:] or "0"
    sign = "-" if value < 0 else ""
    return f"{sign}{head}.{tail}E{exp}"


def java_doubles(values: pa.Array) -> pa.Array:
    """Double.toString of every value; Arrow's shortest form plus '.0' covers the usual range."""
    values = values.cast(pa.float64())
    text = values.cast(pa.string())
    magnitude = pc.abs(values)
    plain = pc.and_(pc.greater_equal(magnitude, 1e-3), pc.less(magnitude, 1e7))
    integral = pc.invert(pc.match_substring(text, "."))
    text = pc.if_else(pc.and_(plain, integral), pc.binary_join_element_wise(text, ".0", ""), text)
    odd = pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(plain, False)))
    if not pc.any(odd).as_py():
        return text
    # Scientific notation, zeros, NaN and infinities: rare, formatted one by one.
    fixed = [
        None if v is None else (java_double(v) if o else t)
        for v, t, o in zip(values.to_pylist(), text.to_pylist(), odd.to_pylist(), strict=True)
    ]
    return pa.array(fixed, pa.string())


def java_text(value: object) -> str:
    """A value's toString as ksqlDB's messages print it: null, true, 1.5E300, [1, 2], {a=1}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_text(k)}={java_text(v)}" for k, v in value.items()) + "}"
    return str(value)
