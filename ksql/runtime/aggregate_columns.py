"""Column names of the aggregation operator's input, output and store (see aggregate.py)."""

from __future__ import annotations

ROWTIME = "ROWTIME"  # event time in ms
SIGN = "SIGN"  # input of table sources: +1 add, -1 undo of a previous row
CHANGE_ID = "CHANGE_ID"  # input: equal on the undo and the add of one source update
WINDOWSTART = "WINDOWSTART"
WINDOWEND = "WINDOWEND"
TOMBSTONE = "TOMBSTONE"  # output: the row deletes its table entry (a replaced session)
EMITTED = "EMITTED"  # store: EMIT FINAL already emitted the window
