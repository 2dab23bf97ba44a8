"""The streaming replication connection of a logical slot: START_REPLICATION with pgoutput,
the CopyData frames it sends (XLogData with one pgoutput message, primary keepalives), and
the standby status updates that acknowledge a position.

Acknowledging LSN `x` lets PostgreSQL discard everything the slot holds before `x`: a
transaction whose commit record starts before `x` is never sent again. psycopg has no API for
the COPY BOTH protocol, so this speaks it through psycopg's libpq binding (`pgconn`).
"""

from __future__ import annotations

import select
import struct
import time

import psycopg
from psycopg import pq

from ksql.connect.api import ConnectError, RetriableError

_XLOG_HEADER = 25  # 'w', start LSN, end LSN, send time
_KEEPALIVE = struct.Struct(">QqB").unpack_from  # WAL end, send time, reply requested
_STATUS = struct.Struct(">cQQQqB").pack  # 'r', written, flushed, applied, clock, reply
_PG_EPOCH_US = 946_684_800_000_000


def lsn_text(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


class ReplicationStream:
    """One walsender connection streaming `slot` from `start_lsn` (the slot's confirmed
    position when that is later)."""

    def __init__(self, conninfo: str, slot: str, publication: str, start_lsn: int) -> None:
        # Step 1. A replication=database connection; the slot may still be held for a moment
        # by the walsender of a connection that just closed, so wait for it a little.
        deadline = time.monotonic() + 10
        while True:
            self.conn = psycopg.connect(conninfo, autocommit=True, replication="database")
            self.pgconn = self.conn.pgconn
            command = (
                f"START_REPLICATION SLOT {slot} LOGICAL {lsn_text(start_lsn)} "
                f"(proto_version '1', publication_names '{_identifier(publication)}')"
            )
            result = self.pgconn.exec_(command.encode())
            if result.status == pq.ExecStatus.COPY_BOTH:
                break
            error = (result.error_message or b"").decode(errors="replace").strip()
            state = result.error_field(pq.DiagnosticField.SQLSTATE)
            self.conn.close()
            if state == b"55006" and time.monotonic() < deadline:  # slot active elsewhere
                time.sleep(0.2)
                continue
            raise ConnectError(f"START_REPLICATION of slot '{slot}' failed: {error}")
        self.socket = self.pgconn.socket
        self.wal_end = start_lsn  # the server's position as of its last keepalive
        self._acked = 0
        self._status_sent = time.monotonic()

    def read(self, timeout_s: float) -> bytes | None:
        """The next XLogData frame (pgoutput message at offset 25, the change's LSN in bytes
        1..9), or None when none came within `timeout_s`. Keepalives are answered here."""
        try:
            return self._read(timeout_s)
        except psycopg.OperationalError as error:
            raise RetriableError(f"replication connection lost: {error}") from None

    def _read(self, timeout_s: float) -> bytes | None:
        pgconn = self.pgconn
        deadline = None
        while True:
            size, data = pgconn.get_copy_data(1)
            if size > 0:
                frame = bytes(data)
                if frame[0] == 119:  # 'w'
                    return frame
                if frame[0] == 107:  # 'k'
                    wal_end, _, reply = _KEEPALIVE(frame, 1)
                    self.wal_end = max(self.wal_end, wal_end)
                    if reply:
                        self.send_status(self._acked)
                continue
            if size < 0:
                raise self._failure()
            if deadline is None:
                deadline = time.monotonic() + timeout_s
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.socket], [], [], remaining)
            if ready:
                pgconn.consume_input()

    def acknowledge(self, lsn: int) -> None:
        """Tell PostgreSQL everything before `lsn` is processed (sent now if it moved)."""
        if lsn > self._acked:
            self.send_status(lsn)

    def keep_alive(self, interval_s: float) -> None:
        """Send a status update when none was sent for `interval_s`."""
        if time.monotonic() - self._status_sent >= interval_s:
            self.send_status(self._acked)

    def send_status(self, lsn: int) -> None:
        self._acked = max(self._acked, lsn)
        clock = int(time.time() * 1_000_000) - _PG_EPOCH_US
        status = _STATUS(b"r", self._acked, self._acked, self._acked, clock, 0)
        try:
            self.pgconn.put_copy_data(status)
            self.pgconn.flush()
        except psycopg.OperationalError as error:
            raise RetriableError(f"replication connection lost: {error}") from None
        self._status_sent = time.monotonic()

    def _failure(self) -> Exception:
        result = self.pgconn.get_result()
        message = (result.error_message if result else b"") or self.pgconn.error_message
        return RetriableError(
            "replication stream ended: " + message.decode(errors="replace").strip()
        )

    def close(self) -> None:
        self.conn.close()


def _identifier(name: str) -> str:
    """`name` as a quoted identifier inside a single-quoted option value."""
    return '"' + name.replace('"', '""').replace("'", "''") + '"'
