"""The one small error hierarchy: every error a user sees, with position and context."""

from __future__ import annotations

import re


class KsqlError(Exception):
    """Base of all user-facing errors.

    `kind` names the ksqlDB exception class this error corresponds to, so the conformance
    runner and the REST layer can report it the way ksqlDB does.
    """

    kind = "io.confluent.ksql.util.KsqlException"
    http_status = 400
    error_code = 40000

    def __init__(self, message: str, *, statement_text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.statement_text = statement_text

    def __str__(self) -> str:
        return self.message


class ParseError(KsqlError):
    """Bad SQL text: carries 1-based line and column and the offending text."""

    kind = "io.confluent.ksql.parser.exception.ParseFailedException"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        near: str | None = None,
        statement_text: str | None = None,
    ) -> None:
        super().__init__(message, statement_text=statement_text)
        self.line = line
        self.column = column
        self.near = near


class StatementError(KsqlError):
    """A statement that parses but cannot be executed (unknown source, type error, ...)."""

    kind = "io.confluent.ksql.util.KsqlStatementException"


class ExecutionError(KsqlError):
    """A failure while running a statement against storage or the runtime."""

    kind = "io.confluent.ksql.util.KsqlException"
    http_status = 500
    error_code = 50000


class SerializationError(KsqlError):
    """A record that cannot be serialized or deserialized in its declared format."""

    kind = "io.confluent.ksql.serde.KsqlSerializationException"


class StorageError(ExecutionError):
    """Data that cannot be written to or read from disk (a full disk, an I/O error): the
    operation changed nothing."""

    kind = "io.confluent.ksql.util.KsqlException"


class CorruptDataError(StorageError):
    """A damaged file in the data directory (a log segment, the command log, a state file),
    named with the position of the damage; nothing is repaired without being asked."""


class TopicError(KsqlError):
    """Bad topic names or operations on topics that do not exist."""

    kind = "io.confluent.ksql.util.KsqlException"


_LINE = re.compile(r"\b(Line: |line )(\d+)(?=[,:])")


def shift_lines(message: str, offset: int) -> str:
    """Positions in `message` ("line 2:40", "Line: 2, Col: 5") moved down by `offset` lines."""
    if offset == 0:
        return message
    return _LINE.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + offset}", message)
