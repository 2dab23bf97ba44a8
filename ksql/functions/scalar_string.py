"""String scalar functions (CONCAT, SUBSTRING, INSTR, REGEXP_*, SPLIT, MASK, LPAD, ...)."""

from __future__ import annotations

from ksql.compiler.casts import to_string_sql
from ksql.compiler.sql import Compiled, sql_string
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.functions.scalar_bytes import byte_substring, split_bytes
from ksql.types import BYTES, INTEGER, STRING, ArrayType, MapType

# Java's String.trim() strips every character up to U+0020.
_JAVA_TRIM = {
    "trim": r"^[\x00-\x20]+|[\x00-\x20]+$",
    "ltrim": r"^[\x00-\x20]+",
    "rtrim": r"[\x00-\x20]+$",
}


def _check(name: str, args: tuple[Compiled, ...], *allowed) -> None:
    """Every argument's type must be in the matching `allowed` tuple (None is always fine)."""
    for arg, ok in zip(args, allowed, strict=False):
        if arg.type is not None and arg.type not in ok:
            raise signature_error(name, [a.type for a in args])


_S = (STRING,)
_I = (INTEGER,)


def _simple(name: str, sql: str, result=STRING, *allowed):
    def hook(*args: Compiled) -> Compiled:
        _check(name, args, *(allowed or (_S,) * len(args)))
        return Compiled(sql.format(*(a.sql for a in args)), result)

    return hook


def _trim(name: str):
    def hook(s: Compiled) -> Compiled:
        _check(name.upper(), (s,), _S)
        return Compiled(f"regexp_replace({s.sql}, {sql_string(_JAVA_TRIM[name])}, '', 'g')", STRING)

    return hook


def _concat(*args: Compiled) -> Compiled:
    """CONCAT skips null arguments (ksqlDB), all-bytes arguments concatenate bytes."""
    if args and all(a.type == BYTES for a in args):
        return Compiled(f"concat({', '.join(a.sql for a in args)})", BYTES)
    parts = ", ".join(f"coalesce({to_string_sql(a)}, '')" for a in args)
    return Compiled(f"concat({parts})", STRING)


def _concat_ws(sep: Compiled, *args: Compiled) -> Compiled:
    _check("CONCAT_WS", (sep, *args), *((_S,) * (len(args) + 1)))
    parts = ", ".join(a.sql for a in args)
    return Compiled(f"(CASE WHEN {sep.sql} IS NOT NULL THEN concat_ws({sep.sql}, {parts}) END)", STRING)


def _start_of(s: str, start: str, length_fn: str = "length") -> str:
    """1-based start; negative counts from the end; positions before the first (0, or beyond
    the start from the end) start at the first, as Java's substring clamps them."""
    from_end = f"greatest({length_fn}({s}) + {start} + 1, 1)"
    return f"(CASE WHEN {start} < 0 THEN {from_end} WHEN {start} = 0 THEN 1 ELSE {start} END)"


def _substring(s: Compiled, start: Compiled, length: Compiled | None = None) -> Compiled:
    _check("SUBSTRING", (s, start, *([length] if length else [])), (STRING, BYTES), _I, _I)
    if s.type == BYTES:
        pos = _start_of(s.sql, start.sql, "octet_length")
        return Compiled(byte_substring(s.sql, pos, length.sql if length else None), BYTES)
    pos = _start_of(s.sql, start.sql)
    if length is None:
        return Compiled(f"substring({s.sql}, {pos})", STRING)
    return Compiled(f"substring({s.sql}, {pos}, {length.sql})", STRING)


def _len(s: Compiled) -> Compiled:
    _check("LEN", (s,), (STRING, BYTES))
    fn = "octet_length" if s.type == BYTES else "length"
    return Compiled(f"CAST({fn}({s.sql}) AS INTEGER)", INTEGER)


def _instr(s: Compiled, sub: Compiled, *rest: Compiled) -> Compiled:
    """Position of the n-th occurrence at or after `position` (before it when negative)."""
    _check("INSTR", (s, sub, *rest), _S, _S, _I, _I)
    if not rest:
        return Compiled(f"CAST(instr({s.sql}, {sub.sql}) AS INTEGER)", INTEGER)
    position = rest[0].sql
    occurrence = rest[1].sql if len(rest) > 1 else "1"
    starts = (
        f"list_filter(range(1, length({s.sql}) + 2), "
        f"lambda i: substring({s.sql}, i, length({sub.sql})) = {sub.sql})"
    )
    forward = f"list_filter({starts}, lambda i: i >= {position})"
    backward = f"list_reverse(list_filter({starts}, lambda i: i <= length({s.sql}) + {position} + 1))"
    chosen = f"(CASE WHEN {position} < 0 THEN {backward} ELSE {forward} END)"
    sql = (
        f"(CASE WHEN {s.sql} IS NULL OR {sub.sql} IS NULL THEN NULL "
        f"ELSE CAST(coalesce(list_extract({chosen}, {occurrence}), 0) AS INTEGER) END)"
    )
    return Compiled(sql, INTEGER)


def _split(s: Compiled, sep: Compiled) -> Compiled:
    if s.type == BYTES and sep.type in (BYTES, None):
        return Compiled(split_bytes(s.sql, sep.sql), ArrayType(BYTES))
    _check("SPLIT", (s, sep), _S, _S)
    # Java: splitting the empty string gives one empty element, whatever the separator.
    sql = f"(CASE WHEN {s.sql} = '' THEN [''] ELSE string_split({s.sql}, {sep.sql}) END)"
    return Compiled(sql, ArrayType(STRING))


def _split_to_map(s: Compiled, entry_sep: Compiled, kv_sep: Compiled) -> Compiled:
    """Later duplicates win; entries without the key/value separator are dropped."""
    _check("SPLIT_TO_MAP", (s, entry_sep, kv_sep), _S, _S, _S)
    entries = f"list_filter(string_split({s.sql}, {entry_sep.sql}), lambda e: position({kv_sep.sql} IN e) > 0)"
    pairs = (
        f"list_transform({entries}, lambda e: {{'key': split_part(e, {kv_sep.sql}, 1), "
        f"'value': substring(e, position({kv_sep.sql} IN e) + length({kv_sep.sql}))}})"
    )
    last_wins = f"list_filter({pairs}, lambda p, i: NOT list_contains(list_transform(list_slice({pairs}, i + 1, len({pairs})), lambda q: q.key), p.key))"
    null_if = f"{s.sql} IS NULL OR coalesce({entry_sep.sql}, '') = '' OR coalesce({kv_sep.sql}, '') = ''"
    sql = f"(CASE WHEN {null_if} THEN NULL ELSE map_from_entries({last_wins}) END)"
    return Compiled(sql, MapType(STRING, STRING))


def _pad(fn: str):
    def hook(s: Compiled, length: Compiled, fill: Compiled) -> Compiled:
        _check(fn.upper(), (s, length, fill), _S, _I, _S)
        return Compiled(
            f"(CASE WHEN {fill.sql} = '' OR {length.sql} < 0 THEN NULL "
            f"ELSE {fn}({s.sql}, {length.sql}, {fill.sql}) END)",
            STRING,
        )

    return hook


def _initcap(s: Compiled) -> Compiled:
    _check("INITCAP", (s,), _S)
    words = f"string_split({s.sql}, ' ')"
    sql = (
        f"array_to_string(list_transform({words}, lambda w: "
        "upper(substring(w, 1, 1)) || lower(substring(w, 2))), ' ')"
    )
    return Compiled(sql, STRING)


def _chr(code: Compiled) -> Compiled:
    """A code point (INTEGER) or a '\\uXXXX' escape (STRING); invalid input gives NULL."""
    _check("CHR", (code,), (INTEGER, STRING))
    if code.type == STRING:
        hexits = f"regexp_extract({code.sql}, '^\\\\u([0-9a-fA-F]{{4}})$', 1)"
        return Compiled(f"(CASE WHEN {hexits} <> '' THEN chr(CAST(('0x' || {hexits}) AS INTEGER)) END)", STRING)
    valid = f"({code.sql} BETWEEN 0 AND 1114111 AND NOT {code.sql} BETWEEN 55296 AND 57343)"
    return Compiled(f"(CASE WHEN {valid} THEN chr({code.sql}) END)", STRING)


def _regexp_extract(pattern: Compiled, s: Compiled, group: Compiled | None = None) -> Compiled:
    """REGEXP_EXTRACT(pattern, string[, group]): NULL when there is no match."""
    _check("REGEXP_EXTRACT", (pattern, s, *([group] if group else [])), _S, _S, _I)
    g = group.sql if group else "0"
    matched = f"regexp_matches({s.sql}, {pattern.sql})"
    return Compiled(f"(CASE WHEN {matched} THEN regexp_extract({s.sql}, {pattern.sql}, {g}) END)", STRING)


def _regexp_extract_all(pattern: Compiled, s: Compiled, group: Compiled | None = None) -> Compiled:
    _check("REGEXP_EXTRACT_ALL", (pattern, s, *([group] if group else [])), _S, _S, _I)
    g = group.sql if group else "0"
    return Compiled(f"regexp_extract_all({s.sql}, {pattern.sql}, {g})", ArrayType(STRING))


def _regexp_split(s: Compiled, pattern: Compiled) -> Compiled:
    _check("REGEXP_SPLIT_TO_ARRAY", (s, pattern), _S, _S)
    sql = f"(CASE WHEN {pattern.sql} IS NOT NULL THEN regexp_split_to_array({s.sql}, {pattern.sql}) END)"
    return Compiled(sql, ArrayType(STRING))


_MASK_DEFAULTS = ("'X'", "'x'", "'n'", "'-'")


def _mask_sql(s: str, chars: tuple[str, ...]) -> str:
    upper, lower, digit, other = chars
    rule = (
        f"CASE WHEN regexp_full_match(c, '[A-Z]') THEN coalesce({upper}, c) "
        f"WHEN regexp_full_match(c, '[a-z]') THEN coalesce({lower}, c) "
        f"WHEN regexp_full_match(c, '[0-9]') THEN coalesce({digit}, c) "
        f"ELSE coalesce({other}, c) END"
    )
    return f"array_to_string(list_transform(string_split({s}, ''), lambda c: {rule}), '')"


def _mask_chars(args: tuple[Compiled, ...]) -> tuple[str, ...]:
    given = tuple(f"substring({a.sql}, 1, 1)" for a in args)
    return given + _MASK_DEFAULTS[len(given) :]


def _mask(s: Compiled, *chars: Compiled) -> Compiled:
    _check("MASK", (s, *chars), *((_S,) * (len(chars) + 1)))
    return Compiled(f"(CASE WHEN {s.sql} IS NOT NULL THEN {_mask_sql(s.sql, _mask_chars(chars))} END)", STRING)


def _mask_part(name: str, masked_left: bool, keep: bool):
    """MASK_LEFT/RIGHT mask n characters at one end; MASK_KEEP_LEFT/RIGHT mask all but those."""

    def hook(s: Compiled, n: Compiled, *chars: Compiled) -> Compiled:
        _check(name, (s, n, *chars), _S, _I, *((_S,) * len(chars)))
        cut = f"greatest(0, least({n.sql}, length({s.sql})))"
        if masked_left:
            head, tail = f"substring({s.sql}, 1, {cut})", f"substring({s.sql}, {cut} + 1)"
        else:
            head = f"substring({s.sql}, 1, length({s.sql}) - {cut})"
            tail = f"substring({s.sql}, length({s.sql}) - {cut} + 1)"
        mask_head = masked_left != keep
        mask = _mask_chars(chars)
        if mask_head:
            head = _mask_sql(head, mask)
        else:
            tail = _mask_sql(tail, mask)
        return Compiled(f"(CASE WHEN {s.sql} IS NOT NULL THEN {head} || {tail} END)", STRING)

    return hook


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("CONCAT", _concat, "Concatenate strings or bytes, skipping nulls", "STRING", (1, None)))
    add(ScalarFunction("CONCAT_WS", _concat_ws, "Concatenate with a separator", "STRING", (2, None)))
    add(ScalarFunction("SUBSTRING", _substring, "Part of a string (1-based)", "STRING", (2, 3)))
    add(ScalarFunction("UCASE", _simple("UCASE", "upper({})"), "Upper case", "STRING", (1, 1)))
    add(ScalarFunction("LCASE", _simple("LCASE", "lower({})"), "Lower case", "STRING", (1, 1)))
    add(ScalarFunction("TRIM", _trim("trim"), "Trim whitespace", "STRING", (1, 1)))
    add(ScalarFunction("LTRIM", _trim("ltrim"), "Trim leading whitespace", "STRING", (1, 1)))
    add(ScalarFunction("RTRIM", _trim("rtrim"), "Trim trailing whitespace", "STRING", (1, 1)))
    add(ScalarFunction("LEN", _len, "Length of a string or bytes", "STRING", (1, 1)), "LENGTH")
    add(ScalarFunction("REPLACE", _simple("REPLACE", "replace({}, {}, {})"), "Replace a substring", "STRING", (3, 3)))
    add(ScalarFunction(
        "REGEXP_REPLACE", _simple("REGEXP_REPLACE", "regexp_replace({}, {}, {}, 'g')"),
        "Replace regex matches", "STRING", (3, 3),
    ))
    add(ScalarFunction("REGEXP_EXTRACT", _regexp_extract, "First regex match or group", "STRING", (2, 3)))
    add(ScalarFunction("REGEXP_EXTRACT_ALL", _regexp_extract_all, "All regex matches or groups", "STRING", (2, 3)))
    add(ScalarFunction("REGEXP_SPLIT_TO_ARRAY", _regexp_split, "Split on a regex", "STRING", (2, 2)))
    add(ScalarFunction("INSTR", _instr, "Position of a substring", "STRING", (2, 4)))
    add(ScalarFunction("SPLIT", _split, "Split into an array", "STRING", (2, 2)))
    add(ScalarFunction("SPLIT_TO_MAP", _split_to_map, "Split into a map", "STRING", (3, 3)))
    add(ScalarFunction("LPAD", _pad("lpad"), "Pad left", "STRING", (3, 3)))
    add(ScalarFunction("RPAD", _pad("rpad"), "Pad right", "STRING", (3, 3)))
    add(ScalarFunction("INITCAP", _initcap, "Capitalize words", "STRING", (1, 1)))
    add(ScalarFunction("CHR", _chr, "Character of a code point", "STRING", (1, 1)))
    add(ScalarFunction("MD5", _simple("MD5", "md5({})"), "Hex MD5 of a string", "STRING", (1, 1)))
    add(ScalarFunction("UUID", lambda: Compiled("CAST(uuid() AS VARCHAR)", STRING), "Random UUID", "STRING", (0, 0)))
    add(ScalarFunction("MASK", _mask, "Mask letters and digits", "STRING", (1, 5)))
    add(ScalarFunction("MASK_LEFT", _mask_part("MASK_LEFT", True, False), "Mask the first n characters", "STRING", (2, 6)))
    add(ScalarFunction("MASK_RIGHT", _mask_part("MASK_RIGHT", False, False), "Mask the last n characters", "STRING", (2, 6)))
    add(ScalarFunction("MASK_KEEP_LEFT", _mask_part("MASK_KEEP_LEFT", True, True), "Mask all but the first n characters", "STRING", (2, 6)))
    add(ScalarFunction("MASK_KEEP_RIGHT", _mask_part("MASK_KEEP_RIGHT", False, True), "Mask all but the last n characters", "STRING", (2, 6)))
