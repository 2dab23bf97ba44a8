"""Accept-header negotiation as Vert.x `produces()` does it: the client's types by descending q,
each matched against the route's produced types in order; the first match wins."""

from __future__ import annotations

DELIMITED = "application/vnd.ksqlapi.delimited.v1"
V1_JSON = "application/vnd.ksql.v1+json"
JSON = "application/json"

# Produced types per route, in the order a wildcard picks them.
QUERY_PRODUCES = (DELIMITED, V1_JSON, JSON)
QUERY_STREAM_PRODUCES = (DELIMITED, JSON, V1_JSON)


def _accepted(header: str) -> list[str]:
    items = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        items.append((-q, index, media))
    return [media for _, _, media in sorted(items)]


def _matches(pattern: str, media: str) -> bool:
    if pattern == "*/*" or pattern == "*":
        return True
    ptype, _, psub = pattern.partition("/")
    mtype, _, msub = media.partition("/")
    return ptype == mtype and (psub == "*" or psub == msub)


def negotiate(accept: str | None, produces: tuple[str, ...], default: str) -> str | None:
    """The chosen media type; `default` when there is no Accept header; None means 406."""
    if accept is None or not accept.strip():
        return default
    for pattern in _accepted(accept):
        for media in produces:
            if _matches(pattern, media):
                return media
    return None
