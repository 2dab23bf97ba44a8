"""JSON as the ksqlDB CLI prints it (Jackson's default pretty printer): `"key" : value`, inline arrays."""

from __future__ import annotations

import json
import math
from typing import Any


def pretty(value: Any) -> str:
    """Jackson's DefaultPrettyPrinter layout; objects nest by two spaces, arrays stay inline."""
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out)


def _write(value: Any, depth: int, out: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{ }")
            return
        out.append("{\n")
        inner = "  " * (depth + 1)
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",\n")
            out.append(f"{inner}{_string(str(key))} : ")
            _write(item, depth + 1, out)
        out.append("\n" + "  " * depth + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[ ]")
            return
        out.append("[ ")
        for i, item in enumerate(value):
            if i:
                out.append(", ")
            _write(item, depth, out)
        out.append(" ]")
    else:
        out.append(scalar(value))


def scalar(value: Any) -> str:
    """One JSON scalar; non-finite doubles as ksqlDB writes them ("NaN", "Infinity")."""
    if isinstance(value, float) and not math.isfinite(value):
        return _string("NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity"))
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bytes):
        import base64

        return _string(base64.b64encode(value).decode("ascii"))
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return _string(str(value))


def compact(value: Any) -> str:
    """One line of JSON, for streamed rows."""
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
