"""BYTES functions (TO_BYTES, FROM_BYTES, ENCODE, INT/BIGINT_FROM_BYTES) over hex text in SQL."""

from __future__ import annotations

from ksql.compiler.sql import Compiled
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import BIGINT, BYTES, DOUBLE, INTEGER, STRING


def _spaced_hex(b: str) -> str:
    """Each byte as 'HH ' so that hex-level matches stay aligned on byte boundaries."""
    return f"regexp_replace(hex({b}), '(..)', '\\1 ', 'g')"


def byte_substring(b: str, start: str, length: str | None) -> str:
    """Bytes from a 1-based start, as SUBSTRING does for strings."""
    h = f"hex({b})"
    if length is None:
        return f"unhex(substring({h}, 2 * ({start}) - 1))"
    return f"unhex(substring({h}, 2 * ({start}) - 1, 2 * ({length})))"


def split_bytes(b: str, sep: str) -> str:
    """SPLIT for BYTES: an empty separator splits into single bytes."""
    parts = f"string_split({_spaced_hex(b)}, {_spaced_hex(sep)})"
    singles = f"list_transform(string_split(trim({_spaced_hex(b)}), ' '), lambda p: unhex(p))"
    split = f"list_transform({parts}, lambda p: unhex(replace(p, ' ', '')))"
    return f"(CASE WHEN octet_length({sep}) = 0 THEN {singles} ELSE {split} END)"


def _encoding(c: Compiled) -> str:
    """The lower-cased encoding name of a string literal ('' when not a literal)."""
    sql = c.sql.lower()
    return sql[1:-1] if sql.startswith("'") and sql.endswith("'") else ""


def _bytes_of(s: str, encoding: str) -> str | None:
    return {
        "hex": f"unhex({s})",
        "utf8": f"encode({s})",
        "ascii": f"encode(regexp_replace({s}, '[^\\x00-\\x7F]', '?', 'g'))",
        "base64": f"from_base64({s})",
    }.get(encoding)


def _string_of(b: str, encoding: str, upper_hex: bool) -> str | None:
    ascii_chars = (
        f"array_to_string(list_transform(string_split(trim({_spaced_hex(b)}), ' '), "
        "lambda p: CASE WHEN p < '80' THEN chr(CAST('0x' || p AS INTEGER)) ELSE '\uFFFD' END), '')"
    )
    return {
        "hex": f"hex({b})" if upper_hex else f"lower(hex({b}))",
        "utf8": f"decode({b})",
        "ascii": f"(CASE WHEN octet_length({b}) = 0 THEN '' ELSE {ascii_chars} END)",
        "base64": f"to_base64({b})",
    }.get(encoding)


def _to_bytes(s: Compiled, encoding: Compiled) -> Compiled:
    sql = _bytes_of(s.sql, _encoding(encoding))
    if s.type not in (STRING, None) or sql is None:
        raise signature_error("TO_BYTES", [s.type, encoding.type])
    return Compiled(sql, BYTES)


def _from_bytes(b: Compiled, encoding: Compiled) -> Compiled:
    sql = _string_of(b.sql, _encoding(encoding), upper_hex=True)
    if b.type not in (BYTES, None) or sql is None:
        raise signature_error("FROM_BYTES", [b.type, encoding.type])
    return Compiled(sql, STRING)


def _encode(s: Compiled, source: Compiled, target: Compiled) -> Compiled:
    """ENCODE(string, from, to): unknown encodings give NULL, as in ksqlDB."""
    if s.type not in (STRING, None):
        raise signature_error("ENCODE", [s.type, source.type, target.type])
    raw = _bytes_of(s.sql, _encoding(source))
    out = _string_of(raw, _encoding(target), upper_hex=False) if raw else None
    return Compiled(out or "CAST(NULL AS VARCHAR)", STRING)


def _integral_from_bytes(name: str, t, width: int):
    def hook(b: Compiled, order: Compiled | None = None) -> Compiled:
        if b.type not in (BYTES, None):
            raise signature_error(name, [b.type] + ([order.type] if order else []))
        h = f"hex({b.sql})"
        if order is not None and _encoding(order) == "little_endian":
            h = f"array_to_string(list_reverse(string_split(trim({_spaced_hex(b.sql)}), ' ')), '')"
        if t == DOUBLE:  # IEEE 754 bits -> sign, exponent, mantissa
            u = f"CAST(('0x' || {h}) AS UBIGINT)"
            e = f"CAST(({u} >> 52) & 2047 AS INTEGER)"
            m = f"CAST({u} & 4503599627370495 AS DOUBLE)"
            sign = f"(CASE WHEN ({u} >> 63) = 1 THEN -1.0 ELSE 1.0 END)"
            signed = (
                f"(CASE WHEN {e} = 2047 THEN (CASE WHEN {m} = 0 THEN {sign} * 'Infinity'::DOUBLE "
                f"ELSE 'NaN'::DOUBLE END) WHEN {e} = 0 THEN {sign} * {m} * pow(2, -1074) "
                f"ELSE {sign} * (1 + {m} / 4503599627370496.0) * pow(2, {e} - 1023) END)"
            )
        elif width == 8:  # two's complement through a 64-bit BIT string
            signed = f"CAST(CAST(CAST(('0x' || {h}) AS UBIGINT) AS BIT) AS BIGINT)"
        else:
            unsigned = f"CAST(('0x' || {h}) AS BIGINT)"
            signed = f"CAST(CASE WHEN {unsigned} >= 2147483648 THEN {unsigned} - 4294967296 ELSE {unsigned} END AS INTEGER)"
        sql = f"(CASE WHEN octet_length({b.sql}) = {width} THEN {signed} END)"
        return Compiled(sql, t)

    return hook


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("TO_BYTES", _to_bytes, "String to bytes in an encoding", "BYTES", (2, 2)))
    add(ScalarFunction("FROM_BYTES", _from_bytes, "Bytes to a string in an encoding", "BYTES", (2, 2)))
    add(ScalarFunction("ENCODE", _encode, "Re-encode a string (hex, utf8, ascii, base64)", "STRING", (3, 3)))
    add(ScalarFunction("INT_FROM_BYTES", _integral_from_bytes("INT_FROM_BYTES", INTEGER, 4), "INT of 4 bytes", "BYTES", (1, 2)))
    add(ScalarFunction("DOUBLE_FROM_BYTES", _integral_from_bytes("DOUBLE_FROM_BYTES", DOUBLE, 8), "DOUBLE of 8 bytes (IEEE 754)", "BYTES", (1, 2)))
    add(ScalarFunction("BIGINT_FROM_BYTES", _integral_from_bytes("BIGINT_FROM_BYTES", BIGINT, 8), "BIGINT of 8 bytes", "BYTES", (1, 2)))
