"""What ksqlDB's pull queries reject before they run, with ksqlDB's messages.

Two groups: clauses a pull query never takes (WINDOW, GROUP BY, ROWPARTITION, ...), and, when
`ksql.query.pull.table.scan.enabled` is false, the key-lookup rules: each disjunct of the WHERE
clause must pin the table's key (equality or IN; a single range on a single-column,
non-windowed key) so that the query is answered by key lookups instead of a scan.
"""

from __future__ import annotations

from ksql import ast
from ksql.analyzer.rewrite import walk
from ksql.catalog import Source
from ksql.errors import StatementError
from ksql.expr_text import format_expr

PULL_LIMIT_DISABLED = (
    "LIMIT clause in pull queries is currently disabled. You can enable them by setting "
    "ksql.query.pull.limit.clause.enabled=true. See https://cnfl.io/queries for more info.\n"
    "Add EMIT CHANGES if you intended to issue a push query."
)
_RANGE_OPS = ("<", "<=", ">", ">=")
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}


def _flag(session, name: str, default: str) -> bool:
    return str(session.get(name, default)).lower() == "true"


def check_pull(query: ast.Query, session) -> None:
    """Clauses and columns no pull query takes."""
    if query.window is not None:
        raise StatementError("Pull queries don't support WINDOW clauses.")
    if query.group_by:
        raise StatementError("Pull queries don't support GROUP BY clauses")
    if query.partition_by:
        raise StatementError("Pull queries don't support PARTITION BY clauses")
    if query.having is not None:
        raise StatementError("Pull queries don't support HAVING clauses")
    if query.limit is not None and not _flag(
        session, "ksql.query.pull.limit.clause.enabled", "true"
    ):
        raise StatementError(PULL_LIMIT_DISABLED)
    selected = [i.expr for i in query.select if isinstance(i, ast.SelectColumn)]
    for clause, exprs in (("SELECT", selected), ("WHERE", [query.where] if query.where else [])):
        found: list[str] = []
        for expr in exprs:
            for node in walk(expr):
                if not isinstance(node, ast.ColumnRef):
                    continue
                shown = f"`{node.name}`"
                if node.name in ("ROWPARTITION", "ROWOFFSET") and shown not in found:
                    found.append(shown)
        if found:
            raise StatementError(
                f"Pull queries don't support the following columns in {clause} clauses: "
                + ", ".join(found)
            )


def check_key_lookup(query: ast.Query, source: Source, session) -> None:
    """Key values must suit the key; with table scans disabled, every disjunct must be a key
    lookup (or one key range)."""
    if not source.is_table:
        return
    if query.where is not None:
        _check_key_values(query.where, source)
    if _flag(session, "ksql.query.pull.table.scan.enabled", "true"):
        return
    keys = [c.name for c in source.key_columns]
    if query.where is None:
        raise StatementError("Query requires table scan to be enabled")
    disjuncts = _split(query.where, ast.Or)
    for disjunct in disjuncts:
        kinds = _check_disjunct(disjunct, source, keys)
        if "range" in kinds and (len(disjuncts) > 1 or source.window is not None):
            raise StatementError("Query requires table scan to be enabled")


def _split(expr: ast.Expr, kind: type) -> list[ast.Expr]:
    if isinstance(expr, kind):
        return _split(expr.left, kind) + _split(expr.right, kind)
    return [expr]


def _columns(expr: ast.Expr) -> set[str]:
    return {n.name for n in walk(expr) if isinstance(n, ast.ColumnRef)}


def _check_disjunct(disjunct: ast.Expr, source: Source, keys: list[str]) -> set[str]:
    """The kinds of key constraint in one disjunct ("equal", "range"); raises when none fits."""
    constrained: dict[str, str] = {}
    for conjunct in _split(disjunct, ast.And):
        used = _columns(conjunct)
        key_refs = used & set(keys)
        if not key_refs:
            continue  # a filter on other columns, applied after the lookup
        key, kind = _key_constraint(conjunct, source, keys)
        if key in constrained:
            raise StatementError(
                "A comparison condition on the key column cannot be combined with other "
                "comparisons such as an IN predicate"
            )
        constrained[key] = kind
    if not constrained:
        raise StatementError(
            f"WHERE clause missing key column for disjunct: {format_expr(disjunct)}"
        )
    if len(keys) > 1 and (set(constrained) != set(keys) or "range" in constrained.values()):
        raise StatementError("Multi-column sources must specify every key in the WHERE clause.")
    return set(constrained.values())


def _key_constraint(conjunct: ast.Expr, source: Source, keys: list[str]) -> tuple[str, str]:
    """(key column, "equal" | "range") for a comparison that pins a key; raises otherwise."""
    if isinstance(conjunct, ast.InList) and not conjunct.negated:
        value = conjunct.value
        if isinstance(value, ast.ColumnRef) and value.name in keys:
            if any(_columns(item) for item in conjunct.items):
                raise StatementError(
                    "A comparison must be between a key column and a resolvable expression."
                )
            return value.name, "equal"
        raise StatementError("A comparison must directly reference a key column.")
    if not isinstance(conjunct, ast.Comparison):
        raise StatementError("A comparison must directly reference a key column.")
    left, right, op = conjunct.left, conjunct.right, conjunct.op
    if not (isinstance(left, ast.ColumnRef) and left.name in keys):
        left, right, op = right, left, _FLIPPED.get(op, op)
    if not (isinstance(left, ast.ColumnRef) and left.name in keys):
        raise StatementError("A comparison must directly reference a key column.")
    if _columns(right):
        raise StatementError(
            "A comparison must be between a key column and a resolvable expression."
        )
    if op == "=":
        return left.name, "equal"
    if op in _RANGE_OPS:
        return left.name, "range"
    column = source.column(left.name)
    shown = f"`{left.name}` {column.type} KEY" if column is not None else f"`{left.name}`"
    raise StatementError(f"Bound on key columns '[{shown}]' must currently be '='. ")


def _is_null(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Literal) and expr.kind == "NULL"


def _check_key_values(where: ast.Expr, source: Source) -> None:
    """A key compared with NULL, or looked up with a literal of another kind, fails."""
    keys = {c.name: c for c in source.key_columns}
    for node in walk(where):
        if isinstance(node, ast.Comparison) and node.op == "=":
            for column, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(column, ast.ColumnRef) and column.name in keys and _is_null(other):
                    raise StatementError(
                        "Error in WHERE expression: Comparison with NULL not supported: "
                        f"{keys[column.name].type} = NULL\n"
                        "Use 'IS NULL' or 'IS NOT NULL' instead.\n"
                        f"Statement: ({column.name} = null)"
                    )
        if isinstance(node, ast.InList) and not node.negated:
            column = node.value
            if not (isinstance(column, ast.ColumnRef) and column.name in keys):
                continue
            key = keys[column.name]
            numeric_key = key.type.name in ("INTEGER", "BIGINT", "DOUBLE", "DECIMAL")
            for item in node.items:
                if _is_null(item):
                    raise StatementError(
                        f"Primary key columns can not be NULL: ({column.name} = null)"
                    )
                if numeric_key and isinstance(item, ast.Literal) and item.kind == "STRING":
                    raise StatementError(
                        f"'{item.value}' can not be converted to the type of the key column: "
                        f"{key.name} {key.type} KEY"
                    )
