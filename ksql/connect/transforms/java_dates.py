"""Java SimpleDateFormat patterns (`yyyy-MM-dd HH:mm:ss.SSS`) in Python, in UTC, as Kafka's
TimestampConverter and TimestampRouter use them: `JavaDateFormat(pattern)` formats a datetime
and parses text.

Letters are read as SimpleDateFormat reads them: a run's length is its width (`S` counts
milliseconds, so `SSS` is three digits), `'quoted'` text is literal (`''` is a quote), month and
day names are English. Parsing reads from the start of the text and ignores what follows the
pattern, as `DateFormat.parse` does, but refuses impossible dates (SimpleDateFormat's lenient
default would roll Feb 30 over to March)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"'((?:[^']|'')*)'|([A-Za-z])\2*|[^A-Za-z']+|'")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMERIC = frozenset("yDdHkKhmsSu")
_LETTERS = frozenset("GyMLdDEuaHkKhmsSzZX")


@dataclass(frozen=True, slots=True)
class _Field:
    letter: str
    count: int

    @property
    def numeric(self) -> bool:
        return self.letter in _NUMERIC or (self.letter in "ML" and self.count <= 2)


def _tokens(pattern: str) -> list[str | _Field]:
    out: list[str | _Field] = []
    for match in _TOKEN.finditer(pattern):
        quoted, letter = match.group(1), match.group(2)
        if quoted is not None:
            out.append(quoted.replace("''", "'") or "'")
        elif letter is not None:
            if letter not in _LETTERS:
                raise ValueError(f"Illegal pattern character '{letter}'")
            out.append(_Field(letter, len(match.group(0))))
        elif match.group(0) == "'":
            raise ValueError("Unterminated quote")
        else:
            out.append(match.group(0))
    return out


class JavaDateFormat:
    """One pattern, compiled once; ValueError for a pattern SimpleDateFormat would refuse."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.tokens = _tokens(pattern)
        self._regex = re.compile(self._parse_regex(), re.IGNORECASE)

    # ------------------------------------------------------------ formatting

    def format(self, when: dt.datetime) -> str:
        """`when` (UTC when naive) as text in UTC."""
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC)
        return "".join(t if isinstance(t, str) else _format(t, when) for t in self.tokens)

    # ------------------------------------------------------------ parsing

    def _parse_regex(self) -> str:
        out = []
        for i, token in enumerate(self.tokens):
            if isinstance(token, str):
                out.append(re.escape(token))
                continue
            following = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
            adjacent = isinstance(following, _Field) and following.numeric
            out.append(f"(?P<g{i}>{_field_regex(token, adjacent)})")
        return "".join(out)

    def parse(self, text: str) -> dt.datetime:
        """The UTC instant `text` stands for; ValueError when it does not match."""
        match = self._regex.match(text)
        if match is None:
            raise ValueError(f"Unparseable date: {text!r}")
        parts: dict[str, int] = {}
        offset = dt.timedelta(0)
        pm = None
        for i, token in enumerate(self.tokens):
            if isinstance(token, str):
                continue
            found = match.group(f"g{i}")
            letter = token.letter
            if letter in "zZX":
                offset = _offset(found)
            elif letter == "a":
                pm = found.lower() == "pm"
            elif letter in "ML" and token.count >= 3:
                parts["M"] = _month(found)
            elif letter == "y" and token.count == 2 and len(found) == 2:
                parts["y"] = _two_digit_year(int(found))
            elif token.numeric:
                parts["M" if letter in "ML" else letter] = int(found)
        return _assemble(parts, pm) - offset


def _field_regex(field: _Field, adjacent: bool) -> str:
    if field.numeric:
        return rf"\d{{{field.count}}}" if adjacent else r"\d+"
    match field.letter:
        case "G":
            return "AD|BC"
        case "a":
            return "AM|PM"
        case "Z":
            return r"[+-]\d{2}:?\d{2}|Z"
        case "X":
            return r"Z|[+-]\d{2}(?::?\d{2})?"
        case "z":
            return r"[A-Za-z]+(?:[+-]\d{1,2}(?::?\d{2})?)?"
    return "[A-Za-z]+"  # month and day names


def _format(field: _Field, when: dt.datetime) -> str:
    n = field.count
    match field.letter:
        case "G":
            return "AD"
        case "y":
            return f"{when.year % 100:02d}" if n == 2 else str(when.year).zfill(n)
        case "M" | "L":
            if n >= 3:
                name = _MONTHS[when.month - 1]
                return name if n >= 4 else name[:3]
            return str(when.month).zfill(n)
        case "d":
            return str(when.day).zfill(n)
        case "D":
            return str(when.timetuple().tm_yday).zfill(n)
        case "E":
            name = _DAYS[when.weekday()]
            return name if n >= 4 else name[:3]
        case "u":
            return str(when.isoweekday()).zfill(n)
        case "a":
            return "PM" if when.hour >= 12 else "AM"
        case "H":
            return str(when.hour).zfill(n)
        case "k":
            return str(when.hour or 24).zfill(n)
        case "K":
            return str(when.hour % 12).zfill(n)
        case "h":
            return str(when.hour % 12 or 12).zfill(n)
        case "m":
            return str(when.minute).zfill(n)
        case "s":
            return str(when.second).zfill(n)
        case "S":
            return str(when.microsecond // 1000).zfill(n)
        case "z":
            return "Coordinated Universal Time" if n >= 4 else "UTC"
        case "Z":
            return "+0000"
    return "Z"  # X: ISO 8601 zone, always UTC here


def _month(name: str) -> int:
    lowered = name.lower()
    for i, month in enumerate(_MONTHS):
        if lowered in (month.lower(), month[:3].lower()):
            return i + 1
    raise ValueError(f"Unknown month: {name}")


def _two_digit_year(yy: int) -> int:
    """SimpleDateFormat's window: within 80 years before and 20 years after now."""
    now = dt.datetime.now(dt.UTC).year
    year = now - now % 100 + yy
    if year > now + 20:
        year -= 100
    elif year <= now - 80:
        year += 100
    return year


def _offset(text: str) -> dt.timedelta:
    upper = text.upper()
    if upper in ("Z", "UTC", "GMT", "UT"):
        return dt.timedelta(0)
    found = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", upper)
    if found is None:
        raise ValueError(f"Unknown time zone: {text}")
    minutes = int(found.group(2)) * 60 + int(found.group(3) or 0)
    return dt.timedelta(minutes=minutes if found.group(1) == "+" else -minutes)


def _assemble(parts: dict[str, int], pm: bool | None) -> dt.datetime:
    year = parts.get("y", 1970)
    if "D" in parts and "M" not in parts and "d" not in parts:
        day = dt.date(year, 1, 1) + dt.timedelta(days=parts["D"] - 1)
    else:
        day = dt.date(year, parts.get("M", 1), parts.get("d", 1))
    if "H" in parts:
        hour = parts["H"]
    elif "k" in parts:
        hour = parts["k"] % 24
    else:
        hour = parts.get("h", parts.get("K", 0)) % 12 + (12 if pm else 0)
    minute, second = parts.get("m", 0), parts.get("s", 0)
    when = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=dt.UTC)
    return when + dt.timedelta(milliseconds=parts.get("S", 0))
