"""Query rows as the ksqlDB CLI prints them: a `+----+` boxed header, then one line per row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def cell(value: Any) -> str:
    """One value as text: null, true/false, JSON for structs, maps and arrays."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


class RowFormatter:
    """Fixed column widths chosen up front, so rows can print one by one as they arrive.

    Push queries share the terminal width between columns; when every row is known (pull
    queries) columns fit their content instead. Longer values wrap onto extra lines.
    """

    def __init__(
        self,
        names: Sequence[str],
        terminal_width: int,
        rows: Sequence[Sequence[Any]] | None = None,
        column_width: int = 0,
    ) -> None:
        self.names = list(names)
        n = max(len(self.names), 1)
        share = max((terminal_width - 1) // n - 1, 4)
        if column_width > 0:
            widths = [column_width] * n
        elif rows is not None:
            widths = [len(h) + 1 for h in self.names]  # one blank after the widest value
            for row in rows:
                for i, v in enumerate(row[: len(widths)]):
                    widths[i] = max(widths[i], len(cell(v)) + 1)
            if sum(widths) + n + 1 > terminal_width:
                widths = [
                    min(w, max(share, len(h))) for w, h in zip(widths, self.names, strict=True)
                ]
        else:
            widths = [max(share, len(h)) for h in self.names]
        self.widths = widths

    def rule(self) -> str:
        return "+" + "+".join("-" * w for w in self.widths) + "+"

    def header(self) -> str:
        return "\n".join([self.rule(), self._line(self.names), self.rule()])

    def row(self, values: Sequence[Any], tombstone: bool = False) -> str:
        texts = ["<TOMBSTONE>" if tombstone and v is None else cell(v) for v in values]
        return self._line(texts)

    def _line(self, texts: Sequence[str]) -> str:
        # Wrap each cell into chunks of its width; the row takes as many lines as its tallest cell.
        chunks = [
            [t[i : i + w] for i in range(0, len(t), w)] or [""]
            for t, w in zip(texts, self.widths, strict=False)
        ]
        height = max(len(c) for c in chunks) if chunks else 1
        lines = []
        for k in range(height):
            parts = [
                f"{(c[k] if k < len(c) else ''):<{w}}"
                for c, w in zip(chunks, self.widths, strict=False)
            ]
            lines.append("|" + "|".join(parts) + "|")
        return "\n".join(lines)
