"""`connection.url` -> which database to open and how.

Accepted forms:
- PostgreSQL: `jdbc:postgresql://host[:port][,host2[:port2]]/db?user=u&password=p`,
  `jdbc:postgresql:db`, and libpq's `postgresql://` / `postgres://` URLs. Query parameters that
  libpq knows are kept (`sslmode`, `connect_timeout`, ...); pgjdbc's `ssl=true`,
  `currentSchema`, `connectTimeout` and `ApplicationName` are translated; other pgjdbc-only
  parameters are ignored, as pgjdbc ignores unknown ones.
- SQLite: `jdbc:sqlite:/path/file.db` (a path as written, `:memory:` or empty for memory) and
  SQLAlchemy's `sqlite:///relative.db` / `sqlite:////absolute.db`.
- DuckDB: `jdbc:duckdb:/path/file.duckdb` (empty or `:memory:` for memory) and
  `duckdb:///relative` / `duckdb:////absolute`.

`connection.user` / `connection.password` apply where the URL names no user or password (a
URL's own credentials win, as with pgjdbc).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from ksql.connect.api import ConfigError

POSTGRESQL, SQLITE, DUCKDB = "postgresql", "sqlite", "duckdb"

# pgjdbc parameter -> libpq keyword.
_PGJDBC_NAMES = {"connectTimeout": "connect_timeout", "ApplicationName": "application_name"}


@dataclass(frozen=True, slots=True)
class Target:
    """A database to open: `location` is a libpq conninfo string for PostgreSQL, a file path
    (or `:memory:`) for SQLite and DuckDB; `display` is the URL with its password masked."""

    dialect: str
    location: str
    display: str


def mask_password(url: str) -> str:
    """`url` with any password replaced by ****, for messages and logs."""
    url = re.sub(r"(://[^/@:?]*:)[^/@]*@", r"\1****@", url)
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1****", url)


def parse_url(url: str, user: str | None = None, password: str | None = None) -> Target:
    """The database `url` names; ConfigError (Kafka's wording) when it names none we speak."""
    display = mask_password(url.strip())
    text = url.strip()
    jdbc = text.lower().startswith("jdbc:")
    body = text[5:] if jdbc else text
    scheme, _, rest = body.partition(":")
    scheme = scheme.lower()
    try:
        if scheme in ("postgresql", "postgres"):
            return Target(POSTGRESQL, _postgres_conninfo(rest, user, password), display)
        if scheme == "sqlite":
            return Target(SQLITE, _file_location(rest, jdbc=jdbc), display)
        if scheme == "duckdb":
            return Target(DUCKDB, _file_location(rest, jdbc=jdbc), display)
    except ValueError as error:
        raise ConfigError(
            f"Invalid value {display} for configuration connection.url: {error}"
        ) from None
    raise ConfigError(
        f"Invalid value {display} for configuration connection.url: no JDBC dialect for this "
        "URL; supported are jdbc:postgresql://host:port/database, jdbc:sqlite:/path/file.db "
        "and jdbc:duckdb:/path/file.duckdb"
    )


def _file_location(rest: str, *, jdbc: bool) -> str:
    """A JDBC URL carries the path as written; a SQLAlchemy-style URL has `///` before it."""
    rest = rest.split("?", 1)[0]
    if not jdbc:
        if rest in ("", "//"):
            return ":memory:"
        if not rest.startswith("///"):
            raise ValueError("expected three slashes before the path (sqlite:///file.db)")
        rest = rest[3:]
    return rest or ":memory:"


def _postgres_conninfo(rest: str, user: str | None, password: str | None) -> str:
    from psycopg.conninfo import make_conninfo
    from psycopg.pq import Conninfo

    params: dict[str, str] = {}
    if rest.startswith("//"):
        body = rest[2:]
        cut = min((i for i in (body.find("/"), body.find("?")) if i >= 0), default=len(body))
        authority, path = body[:cut], body[cut:]
        if "@" in authority:
            credentials, authority = authority.rsplit("@", 1)
            name, _, secret = credentials.partition(":")
            params["user"] = unquote(name)
            if secret:
                params["password"] = unquote(secret)
        hosts, ports = _hosts(authority)
        if hosts:
            params["host"] = hosts
        if ports:
            params["port"] = ports
    else:  # jdbc:postgresql:database
        path = "/" + rest if rest and not rest.startswith(("/", "?")) else rest
    database, _, query = path.partition("?")
    if database.strip("/"):
        params["dbname"] = unquote(database.strip("/"))
    known = {option.keyword.decode() for option in Conninfo.get_defaults()}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in known:
            params[key] = value
        elif key == "currentSchema":
            params["options"] = f"-c search_path={value}"
        elif key == "ssl" and value.lower() in ("true", ""):
            params.setdefault("sslmode", "require")
        elif key in _PGJDBC_NAMES:
            params[_PGJDBC_NAMES[key]] = value
    if user and "user" not in params:
        params["user"] = user
    if password and "password" not in params:
        params["password"] = password
    return make_conninfo(**params)


def _hosts(authority: str) -> tuple[str, str]:
    """'h1:5432,[::1]:5433' -> ('h1,::1', '5432,5433'), as libpq takes several hosts."""
    hosts, ports = [], []
    for part in filter(None, authority.split(",")):
        match = re.fullmatch(r"\[([^\]]+)\](?::(\d*))?|([^:]*)(?::(\d*))?", part)
        if match is None:
            raise ValueError(f"cannot read host {part!r}")
        hosts.append(match.group(1) or match.group(3) or "localhost")
        ports.append(match.group(2) or match.group(4) or "5432")
    if not hosts:
        return "", ""
    return ",".join(hosts), ",".join(ports)
