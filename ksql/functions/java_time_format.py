"""Java DateTimeFormatter / SimpleDateFormat patterns -> DuckDB strftime/strptime formats."""

from __future__ import annotations

import re

# Longest tokens first so that 'yyyy' wins over 'yy'.
_TOKENS = [
    ("yyyy", "%Y"), ("uuuu", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"),
    ("M", "%-m"), ("dd", "%d"), ("d", "%-d"), ("HH", "%H"), ("H", "%-H"), ("hh", "%I"),
    ("h", "%-I"), ("mm", "%M"), ("m", "%-M"), ("ss", "%S"), ("s", "%-S"), ("SSSSSS", "%f"),
    ("SSS", "%g"), ("a", "%p"), ("EEEE", "%A"), ("EEE", "%a"), ("XXX", "%z"), ("XX", "%z"),
    ("X", "%z"), ("Z", "%z"), ("z", "%Z"), ("DDD", "%j"),
]  # fmt: skip
_PATTERN = re.compile("'[^']*'|" + "|".join(re.escape(t) for t, _ in _TOKENS) + "|.", re.S)
_MAP = dict(_TOKENS)


def to_strftime(pattern: str) -> str:
    """The DuckDB format for a Java pattern ('quoted' text kept literally, % escaped)."""
    out = []
    for token in _PATTERN.findall(pattern):
        if token.startswith("'") and len(token) >= 2:
            out.append(token[1:-1].replace("%", "%%") or "'")
        elif token in _MAP:
            out.append(_MAP[token])
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)
