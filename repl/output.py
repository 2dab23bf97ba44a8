"""Where the shell writes: the terminal, and a spool file while SPOOL is on."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO


class Output:
    """Text to stdout (errors to stderr), each copied to the spool file if one is open."""

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.spool: TextIO | None = None
        self.spool_path: str | None = None

    def width(self) -> int:
        return shutil.get_terminal_size((100, 24)).columns

    def line(self, text: str = "") -> None:
        self._write(self.stdout, text + "\n")

    def error(self, text: str) -> None:
        self.stdout.flush()
        self._write(self.stderr, text + "\n")

    def echo(self, command: str) -> None:
        """A command as typed, into the spool file only (the terminal already shows it)."""
        if self.spool is not None:
            self.spool.write(f"ksql> {command}\n")
            self.spool.flush()

    def start_spool(self, path: str) -> None:
        self.stop_spool()
        self.spool = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open until SPOOL OFF)
        self.spool_path = path

    def stop_spool(self) -> None:
        if self.spool is not None:
            self.spool.close()
        self.spool = None
        self.spool_path = None

    def _write(self, stream: TextIO, text: str) -> None:
        stream.write(text)
        stream.flush()
        if self.spool is not None:
            self.spool.write(text)
            self.spool.flush()
