"""Java regular expressions and `Matcher` replacement strings in Python, for RegexRouter and
TopicNameMatches: named groups `(?<name>...)` and `\\k<name>`, `\\Q...\\E` quoting and `\\z`
become Python's; `$1` / `${name}` in a replacement refer to groups and `\\$` is a dollar."""

from __future__ import annotations

import re

from ksql.connect.api import ConfigError


def java_pattern(pattern: str, key: str) -> re.Pattern[str]:
    """A Python pattern for a Java one; ConfigError naming the configuration `key` when it is
    invalid."""
    try:
        return re.compile(_translate(pattern))
    except (re.error, ValueError) as error:
        raise ConfigError(f"Invalid value {pattern} for configuration {key}: {error}") from None


def _translate(pattern: str) -> str:
    out, i, n = [], 0, len(pattern)
    while i < n:
        if pattern.startswith("\\Q", i):
            end = pattern.find("\\E", i + 2)
            end = n if end < 0 else end
            out.append(re.escape(pattern[i + 2 : end]))
            i = end + 2
        elif pattern.startswith("\\k<", i):
            end = pattern.index(">", i)
            out.append(f"(?P={pattern[i + 3 : end]})")
            i = end + 1
        elif pattern.startswith("\\z", i):
            out.append("\\Z")
            i += 2
        elif pattern[i] == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


class JavaReplacement:
    """A `Matcher.replaceAll` replacement string, applied to a match with `expand`."""

    def __init__(self, replacement: str, pattern: re.Pattern[str]) -> None:
        self.parts: list[str | int] = []  # literal text, or a group number or name
        literal: list[str] = []
        i, n = 0, len(replacement)
        while i < n:
            c = replacement[i]
            if c == "\\":
                if i + 1 >= n:
                    raise ValueError("character to be escaped is missing")
                literal.append(replacement[i + 1])
                i += 2
                continue
            if c != "$":
                literal.append(c)
                i += 1
                continue
            self._literal(literal)
            i = self._group(replacement, i + 1, pattern)
        self._literal(literal)

    def _literal(self, literal: list[str]) -> None:
        if literal:
            self.parts.append("".join(literal))
            literal.clear()

    def _group(self, text: str, i: int, pattern: re.Pattern[str]) -> int:
        """Read the group reference after a `$` at text[i:]; returns where it ends."""
        if text.startswith("{", i):
            end = text.find("}", i)
            name = text[i + 1 : end] if end > 0 else ""
            if not name or name not in pattern.groupindex:
                raise ValueError(f"No group with name {{{name}}}")
            self.parts.append(pattern.groupindex[name])
            return end + 1
        if i >= len(text) or not text[i].isdigit():
            raise ValueError("Illegal group reference")
        number, i = int(text[i]), i + 1
        if number > pattern.groups:
            raise ValueError(f"No group {number}")
        # Java takes more digits while they still name a group.
        while i < len(text) and text[i].isdigit() and number * 10 + int(text[i]) <= pattern.groups:
            number, i = number * 10 + int(text[i]), i + 1
        self.parts.append(number)
        return i

    def expand(self, match: re.Match[str]) -> str:
        return "".join(p if isinstance(p, str) else match.group(p) or "" for p in self.parts)
