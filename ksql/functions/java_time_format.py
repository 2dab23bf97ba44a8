"""Java DateTimeFormatter / SimpleDateFormat patterns -> DuckDB strftime/strptime formats."""

from __future__ import annotations

import datetime
import functools
import re

# Longest tokens first so that 'yyyy' wins over 'yy'.
_TOKENS = [
    ("yyyy", "%Y"), ("uuuu", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"),
    ("M", "%-m"), ("dd", "%d"), ("d", "%-d"), ("HH", "%H"), ("H", "%-H"), ("hh", "%I"),
    ("h", "%-I"), ("mm", "%M"), ("m", "%-M"), ("ss", "%S"), ("s", "%-S"), ("SSSSSS", "%f"),
    ("SSS", "%g"), ("SS", "%g"), ("S", "%g"), ("a", "%p"), ("EEEE", "%A"), ("EEE", "%a"), ("XXX", "%z"), ("XX", "%z"),
    ("X", "%z"), ("Z", "%z"), ("zzzz", "%Z"), ("zzz", "%Z"), ("zz", "%Z"), ("z", "%Z"),
    ("DDD", "%j"),
]  # fmt: skip
_PATTERN = re.compile("'[^']*'|" + "|".join(re.escape(t) for t, _ in _TOKENS) + "|.", re.DOTALL)
_MAP = dict(_TOKENS)


# Zone offsets when formatting: DuckDB's %z prints "+00"; Java prints Z as "+0000", XXX as
# "+01:00" (or "Z" for UTC), XX as "+0100" / "Z", X as "+01" / "+0130" / "Z".
OFFSET_MARKS = {"Z": "\ue001", "XXX": "\ue002", "XX": "\ue003", "X": "\ue004"}


def to_strftime(pattern: str, offsets: bool = False) -> str:
    """The DuckDB format for a Java pattern ('quoted' text kept literally, % escaped).

    With `offsets`, zone-offset letters become OFFSET_MARKS for the caller to fill in."""
    out = []
    for token in _PATTERN.findall(pattern):
        if token.startswith("'") and len(token) >= 2:
            out.append(token[1:-1].replace("%", "%%") or "'")
        elif offsets and token in OFFSET_MARKS:
            out.append(OFFSET_MARKS[token])
        elif token in _MAP:
            out.append(_MAP[token])
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


@functools.cache
def _zone(zone_id: str) -> datetime.tzinfo:
    from zoneinfo import ZoneInfo

    offset = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", zone_id.strip())
    if offset is not None:
        minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
        sign = 1 if offset.group(1) == "+" else -1
        return datetime.timezone(datetime.timedelta(minutes=sign * minutes))
    if zone_id.strip().upper() in ("UTC", "GMT", "Z"):
        return datetime.UTC
    return ZoneInfo(zone_id.strip())


def zone_name(zone_id: str, epoch_ms: int) -> str | None:
    """The short name of a zone at an instant, as Java's `z` prints it (PDT, CET, UTC)."""
    try:
        tz = _zone(zone_id)
    except (KeyError, ValueError):
        return None
    when = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz)
    return when.tzname()


# What each pattern letter run matches in text, for finding where a date ends.
_REGEX = {
    "yyyy": r"\d{4}", "uuuu": r"\d{4}", "yy": r"\d{2}", "MMMM": r"[A-Za-z]+",
    "MMM": r"[A-Za-z]{3}", "MM": r"\d{2}", "M": r"\d{1,2}", "dd": r"\d{2}", "d": r"\d{1,2}",
    "HH": r"\d{2}", "H": r"\d{1,2}", "hh": r"\d{2}", "h": r"\d{1,2}", "mm": r"\d{2}",
    "m": r"\d{1,2}", "ss": r"\d{2}", "s": r"\d{1,2}", "SSSSSS": r"\d{6}", "SSS": r"\d{3}",
    "SS": r"\d{2}", "S": r"\d", "a": r"[AaPp][Mm]", "EEEE": r"[A-Za-z]+", "EEE": r"[A-Za-z]{3}",
    "XXX": r"(?:Z|[+-]\d{2}:\d{2})", "XX": r"(?:Z|[+-]\d{4})", "X": r"(?:Z|[+-]\d{2,4})",
    "Z": r"[+-]\d{4}", "DDD": r"\d{3}",
}  # fmt: skip


def to_prefix_regex(pattern: str) -> str | None:
    """A regex matching text formatted with `pattern` from its start (None: a pattern letter
    without a known shape), so that trailing text after a complete value can be cut off."""
    out = ["^("]
    for token in _PATTERN.findall(pattern):
        if token.startswith("'") and len(token) >= 2:
            out.append(re.escape(token[1:-1] or "'"))
        elif token in _REGEX:
            out.append(_REGEX[token])
        elif token.isalpha():
            return None
        else:
            out.append(re.escape(token))
    out.append(")")
    return "".join(out)
