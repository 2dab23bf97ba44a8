"""URL functions (URL_*) and GEO_DISTANCE."""

from __future__ import annotations

from ksql.compiler.sql import Compiled, cast_sql
from ksql.compiler.typing import is_numeric
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import DOUBLE, INTEGER, STRING

# RFC 3986 parts: 1 scheme, 2 user info, 3 host, 4 port, 5 path, 6 query, 7 fragment.
_URI = r"^(?:([^:/?#]+):)?(?://(?:([^/?#@]*)@)?([^/?#:]*)(?::([0-9]+))?)?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$"


def _part(name: str, group: int, empty_is_null: bool = True):
    def hook(url: Compiled) -> Compiled:
        if url.type not in (STRING, None):
            raise signature_error(name, [url.type])
        part = f"regexp_extract({url.sql}, '{_URI}', {group})"
        sql = f"nullif({part}, '')" if empty_is_null else part
        return Compiled(sql, STRING)

    return hook


def _port(url: Compiled) -> Compiled:
    port = _part("URL_EXTRACT_PORT", 4)(url)
    return Compiled(f"CAST(nullif({port.sql}, '') AS INTEGER)", INTEGER)


def _parameter(url: Compiled, name: Compiled) -> Compiled:
    if url.type not in (STRING, None) or name.type not in (STRING, None):
        raise signature_error("URL_EXTRACT_PARAMETER", [url.type, name.type])
    query = _part("URL_EXTRACT_QUERY", 6)(url).sql
    pairs = f"list_filter(string_split({query}, '&'), lambda p: split_part(p, '=', 1) = {name.sql})"
    first = f"list_extract({pairs}, 1)"
    sql = f"(CASE WHEN position('=' IN {first}) > 0 THEN substring({first}, position('=' IN {first}) + 1) END)"
    return Compiled(sql, STRING)


def _encode_param(s: Compiled) -> Compiled:
    """Java's URLEncoder: form encoding, space as '+'."""
    return Compiled(f"replace(url_encode({s.sql}), '%20', '+')", STRING)


def _decode_param(s: Compiled) -> Compiled:
    return Compiled(f"url_decode(replace({s.sql}, '+', ' '))", STRING)


def _geo_distance(*args: Compiled) -> Compiled:
    """Haversine distance in km (or miles with 'mi'/'miles'), as ksqlDB computes it."""
    coords, unit = args[:4], (args[4] if len(args) == 5 else None)
    if any(c.type is not None and not is_numeric(c.type) for c in coords) or (
        unit is not None and unit.type not in (STRING, None)
    ):
        raise signature_error("GEO_DISTANCE", [a.type for a in args])
    lat1, lon1, lat2, lon2 = (cast_sql(c.sql, DOUBLE) for c in coords)
    radius = "6371.0"
    if unit is not None:
        radius = f"(CASE WHEN lower({unit.sql}) IN ('mi', 'mile', 'miles') THEN 3959.0 ELSE 6371.0 END)"
    a = (
        f"pow(sin(radians({lat2} - {lat1}) / 2), 2) + pow(sin(radians({lon2} - {lon1}) / 2), 2)"
        f" * cos(radians({lat1})) * cos(radians({lat2}))"
    )
    return Compiled(f"({radius} * 2 * asin(sqrt({a})))", DOUBLE)


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("URL_EXTRACT_PROTOCOL", _part("URL_EXTRACT_PROTOCOL", 1), "Scheme of a URL", "URL", (1, 1)))
    add(ScalarFunction("URL_EXTRACT_HOST", _part("URL_EXTRACT_HOST", 3, empty_is_null=False), "Host of a URL", "URL", (1, 1)))
    add(ScalarFunction("URL_EXTRACT_PORT", _port, "Port of a URL", "URL", (1, 1)))
    add(ScalarFunction("URL_EXTRACT_PATH", _part("URL_EXTRACT_PATH", 5, empty_is_null=False), "Path of a URL", "URL", (1, 1)))
    add(ScalarFunction("URL_EXTRACT_QUERY", _part("URL_EXTRACT_QUERY", 6), "Query of a URL", "URL", (1, 1)))
    add(ScalarFunction("URL_EXTRACT_FRAGMENT", _part("URL_EXTRACT_FRAGMENT", 7), "Fragment of a URL", "URL", (1, 1)))
    add(ScalarFunction("URL_EXTRACT_PARAMETER", _parameter, "A query parameter of a URL", "URL", (2, 2)))
    add(ScalarFunction("URL_ENCODE_PARAM", _encode_param, "Form-encode a parameter", "URL", (1, 1)))
    add(ScalarFunction("URL_DECODE_PARAM", _decode_param, "Decode a form-encoded parameter", "URL", (1, 1)))
    add(ScalarFunction("GEO_DISTANCE", _geo_distance, "Great-circle distance", "MATH", (4, 5)))
