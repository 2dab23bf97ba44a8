"""Interpreter settings for a server process: one event loop beside busy query threads.

The event loop makes one system call per client write, and each call releases the GIL. With the
default switch interval (5 ms) the loop then waits up to 5 ms to get the GIL back from a query
thread that is busy in Python, so a round of writes to a few hundred push clients could take
a second (the "convoy effect"); a 0.5 ms interval bounds that wait. Objects alive at startup
(the engine, the modules) are moved out of the garbage collector's view, so a full collection
scans only what was allocated since, which keeps its pause in the tens of milliseconds.
"""

from __future__ import annotations

import gc
import sys

SWITCH_INTERVAL_S = 0.0005


def tune_runtime() -> None:
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.collect()
    gc.freeze()
