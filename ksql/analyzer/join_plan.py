"""JOIN analysis, part one: the inputs of a join, the joined row's columns, and each join step.

A join's rows carry every input's columns under prefixed names (`L_A`, `R_ROWTIME`), as
ksqlDB names them. Each `JOIN ... ON` clause becomes a `JoinStep` of one shape:
stream-stream (windowed), stream-table, table-table on the primary key, or a foreign-key
table-table join. The equivalent key expressions of the result are tracked as ksqlDB does,
so that an N-way join only re-keys when a criteria does not use the current key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ksql import ast
from ksql.analyzer.rewrite import transform, walk
from ksql.catalog import KEY, Catalog, Source
from ksql.compiler import compile_expression
from ksql.compiler.columns import KEY_COL, TS
from ksql.compiler.scope import ResolvedColumn
from ksql.errors import StatementError
from ksql.expr_text import format_expr
from ksql.types import BIGINT, INTEGER, ArrayType, MapType, SqlType, StructType, quote_identifier

PSEUDO = (("ROWTIME", BIGINT), ("ROWPARTITION", INTEGER), ("ROWOFFSET", BIGINT))
WINDOW_BOUNDS = (("WINDOWSTART", BIGINT), ("WINDOWEND", BIGINT))


@dataclass(frozen=True, slots=True)
class InputColumn:
    name: str  # in the source
    joined: str  # in the joined row: ALIAS_NAME
    type: SqlType
    in_star: bool  # part of `*` (pseudo columns are not)


@dataclass(frozen=True, slots=True)
class JoinInput:
    """One source of a join, with the names its columns take in joined rows."""

    index: int
    source: Source
    alias: str
    columns: tuple[InputColumn, ...]

    def column(self, name: str) -> InputColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def is_table(self) -> bool:
        return self.source.is_table


def join_input(index: int, source: Source, alias: str | None) -> JoinInput:
    alias = alias or source.name
    columns: list[InputColumn] = []
    keys = [c for c in source.columns if c.namespace == KEY]
    others = [c for c in source.columns if c.namespace != KEY]
    for c in keys:
        columns.append(InputColumn(c.name, f"{alias}_{c.name}", c.type, True))
    if source.window is not None:
        columns += [InputColumn(n, f"{alias}_{n}", t, True) for n, t in WINDOW_BOUNDS]
    for c in others:
        columns.append(InputColumn(c.name, f"{alias}_{c.name}", c.type, True))
    columns += [InputColumn(n, f"{alias}_{n}", t, False) for n, t in PSEUDO]
    return JoinInput(index, source, alias, tuple(columns))


def _at(ref: ast.ColumnRef) -> str:
    """ksqlDB's location prefix for errors about a column reference."""
    return f"Line: {ref.pos[0]}, Col: {ref.pos[1]}: " if ref.pos else ""


class JoinScope:
    """Resolves `alias.col` and unambiguous `col` to columns of joined rows."""

    def __init__(
        self,
        inputs: list[JoinInput],
        synthetic: tuple[str, SqlType] | None = None,
        context: str = "SELECT",
    ) -> None:
        self.inputs = inputs
        self.synthetic = synthetic
        self.context = context

    def with_context(self, context: str) -> JoinScope:
        return JoinScope(self.inputs, self.synthetic, context)

    def input_named(self, qualifier: str) -> JoinInput:
        for inp in self.inputs:
            if qualifier == inp.alias:
                return inp
        for inp in self.inputs:
            if qualifier == inp.source.name:
                return inp
        raise StatementError(f"'{qualifier}' is not a valid stream/table name or alias.")

    def owner(self, ref: ast.ColumnRef) -> JoinInput | None:
        """The input a column reference reads; None for the synthetic key or ROWTIME."""
        if ref.source is not None:
            inp = self.input_named(ref.source)
            if inp.column(ref.name) is None:
                raise StatementError(
                    f"{_at(ref)}{self.context} column '{ref.source}.{ref.name}' cannot be resolved."
                )
            return inp
        if self.synthetic is not None and ref.name == self.synthetic[0]:
            return None
        found = [inp for inp in self.inputs if inp.column(ref.name) is not None]
        if len(found) > 1:
            if ref.name == "ROWTIME":
                return None
            choices = [f"{i.alias}.{ref.name}" for i in found]
            listing = ", ".join(choices[:-1]) + f" or {choices[-1]}"
            raise StatementError(f"{_at(ref)}Column '{ref.name}' is ambiguous. Could be {listing}.")
        if not found:
            raise StatementError(
                f"{_at(ref)}{self.context} column '{ref.name}' cannot be resolved."
            )
        return found[0]

    def resolve(self, ref: ast.ColumnRef) -> ResolvedColumn:
        inp = self.owner(ref)
        if inp is None:
            if self.synthetic is not None and ref.name == self.synthetic[0] and ref.source is None:
                return ResolvedColumn(quote_identifier(KEY_COL), self.synthetic[1])
            return ResolvedColumn(quote_identifier(TS), BIGINT)
        column = inp.column(ref.name)
        assert column is not None
        return ResolvedColumn(quote_identifier(column.joined), column.type)

    def output_name(self, ref: ast.ColumnRef) -> str:
        """A projected column's name: its own if only one input has it, else ALIAS_NAME."""
        inp = self.owner(ref)
        if inp is None:
            return ref.name
        shared = sum(1 for i in self.inputs if i.column(ref.name) is not None)
        return f"{inp.alias}_{ref.name}" if shared > 1 else ref.name

    def qualify(self, expr: ast.Expr) -> ast.Expr:
        """The expression with every column reference qualified by its input's alias."""

        def fn(node: ast.Expr) -> ast.Expr | None:
            if isinstance(node, ast.ColumnRef):
                if node.source is None and not any(i.column(node.name) for i in self.inputs):
                    return node  # a lambda parameter, or unknown: the compiler reports it
                inp = self.owner(node)
                if inp is None:
                    return ast.ColumnRef(node.name, pos=node.pos)
                return ast.ColumnRef(node.name, inp.alias, pos=node.pos)
            return None

        return transform(expr, fn)


@dataclass(frozen=True, slots=True)
class JoinStep:
    """One `JOIN ... ON` clause over the rows joined so far (left) and a new input (right)."""

    shape: str  # STREAM_STREAM, STREAM_TABLE, TABLE_TABLE or FOREIGN_KEY
    kind: str  # INNER, LEFT, RIGHT or FULL
    right: JoinInput
    left_inputs: tuple[JoinInput, ...]
    left_key_sql: str  # over the joined left rows
    right_key_sql: str  # over the right input's joined columns
    key_type: SqlType
    before_ms: int = 0
    after_ms: int = 0
    grace_ms: int | None = None  # None: no GRACE PERIOD clause (eager outer results)
    windowed: bool = False  # both sides windowed: the join key includes the window bounds
    on: ast.Expr | None = None  # the ON condition, qualified, for plans and EXPLAIN

    @property
    def result_is_table(self) -> bool:
        return self.shape in ("TABLE_TABLE", "FOREIGN_KEY")


@dataclass(slots=True)
class JoinPlan:
    inputs: list[JoinInput]
    steps: list[JoinStep]
    # Equivalent key expressions of the result (qualified); empty with a synthetic key.
    key_exprs: list[ast.Expr] = field(default_factory=list)
    synthetic: tuple[str, SqlType] | None = None
    key_type: SqlType | None = None
    foreign_key: bool = False

    @property
    def is_table(self) -> bool:
        return all(i.is_table for i in self.inputs)

    def scope(self, context: str = "SELECT") -> JoinScope:
        return JoinScope(self.inputs, self.synthetic, context)


def _joined_text(kind: str) -> str:
    return {
        "INNER": "[INNER] JOIN",
        "LEFT": "LEFT [OUTER] JOIN",
        "RIGHT": "RIGHT [OUTER] JOIN",
        "FULL": "[FULL] OUTER JOIN",
    }[kind]


def _sources_of(expr: ast.Expr, scope: JoinScope) -> set[int]:
    found = set()
    for node in walk(expr):
        if isinstance(node, ast.ColumnRef):
            inp = scope.owner(node)
            if inp is not None:
                found.add(inp.index)
    return found


def _is_key_column(expr: ast.Expr, inp: JoinInput) -> bool:
    keys = [c.name for c in inp.source.key_columns]
    return isinstance(expr, ast.ColumnRef) and len(keys) == 1 and expr.name == keys[0]


def _check_key_type(name: str, sql_type: SqlType) -> None:
    def has_map(t: SqlType) -> bool:
        if isinstance(t, MapType):
            return True
        if isinstance(t, ArrayType):
            return has_map(t.element)
        if isinstance(t, StructType):
            return any(has_map(f.type) for f in t.fields)
        return False

    if has_map(sql_type):
        raise StatementError(
            "Map keys, including types that contain maps, are not supported as they may lead to "
            "unexpected behavior due to inconsistent serialization. "
            f"Key column name: `{name}`. Column type: {sql_type}. "
            "See https://github.com/confluentinc/ksql/issues/6621 for more."
        )


def plan_join(relation: ast.JoinRelation, catalog: Catalog) -> JoinPlan:
    """Resolve the sources and criteria of a join and choose each step's shape."""
    left_source = catalog.require_source(relation.left.name)
    inputs = [join_input(0, left_source, relation.left.alias)]
    for clause in relation.joins:
        source = catalog.require_source(clause.right.name)
        if any(i.source.name == source.name for i in inputs):
            raise StatementError(
                "N-way joins do not support multiple occurrences of the same source. "
                f"Source: '{source.name}'"
            )
        inputs.append(join_input(len(inputs), source, clause.right.alias))
    kafka = [i.source.name for i in inputs if i.source.value_format.name == "KAFKA"]
    if kafka:
        raise StatementError(
            f"Source(s) {', '.join(kafka)} are using the 'KAFKA' value format. "
            "This format does not yet support JOIN."
        )
    plan = JoinPlan(inputs, [])
    first = inputs[0]
    key_cols = [c.name for c in first.source.key_columns]
    plan.key_exprs = [ast.ColumnRef(key_cols[0], first.alias)] if len(key_cols) == 1 else []
    left_is_table = first.is_table
    for index, clause in enumerate(relation.joins, start=1):
        right = inputs[index]
        visible = inputs[: index + 1]
        scope = JoinScope(visible, plan.synthetic, "JOIN ON")
        step = _plan_step(plan, clause, visible, right, scope, left_is_table, index)
        plan.steps.append(step)
        left_is_table = step.result_is_table
    return plan


def _plan_step(plan, clause, visible, right, scope, left_is_table, index) -> JoinStep:
    on = clause.on
    if isinstance(on, ast.And):
        raise StatementError(
            "Invalid join condition: joins on multiple conditions are not yet supported. "
            f"Got {format_expr(scope.qualify(on))}."
        )
    if not isinstance(on, ast.Comparison) or on.op != "=":
        raise StatementError(
            f"Unsupported join expression: {format_expr(on)}. Only equality joins are supported."
        )
    for node in walk(on):
        if isinstance(node, ast.ColumnRef) and node.source is not None:
            try:
                scope.input_named(node.source)
            except StatementError as error:
                raise StatementError(f"Failed to prepare statement: {error.message}") from None
    for side in (on.left, on.right):
        if len(_sources_of(side, scope)) != 1:
            raise StatementError(
                f"Invalid comparison expression '{format_expr(side)}' in join "
                f"'{format_expr(on)}'. Each side of the join comparision must contain references "
                "from exactly one source."
            )
    left_sources, right_sources = _sources_of(on.left, scope), _sources_of(on.right, scope)
    if right.index in left_sources and right.index not in right_sources:
        left_expr, right_expr = on.right, on.left
    elif right.index in right_sources:
        left_expr, right_expr = on.left, on.right
    else:
        names = {i.index: i.alias for i in visible}
        raise StatementError(
            f"A join criteria is expected to reference the source (`{right.alias}`) in the FROM "
            f"clause, instead the right source references `{names[min(right_sources)]}` and the "
            f"left source references `{names[min(left_sources)]}`"
        )
    if right.index in _sources_of(left_expr, scope):
        raise StatementError(f"Invalid join condition: {format_expr(on)}")
    left_expr, right_expr = scope.qualify(left_expr), scope.qualify(right_expr)
    shown_on = f"{format_expr(scope.qualify(on.left))} = {format_expr(scope.qualify(on.right))}"
    left_c = compile_expression(left_expr, scope)
    right_c = compile_expression(right_expr, scope)
    if left_c.type != right_c.type:
        shown = (
            f"{format_expr(scope.qualify(on.left))}{{{compile_expression(on.left, scope).type}}} = "
            f"{format_expr(scope.qualify(on.right))}{{{compile_expression(on.right, scope).type}}}"
        )
        raise StatementError(f"Invalid join condition: types don't match. Got {shown}.")
    left_owner = visible[min(_sources_of(left_expr, scope))]
    kind = clause.kind
    left_names = " ".join(i.source.name for i in visible[:-1])
    got = f"{left_names} {_joined_text(kind)} {right.source.name}"
    window = clause.within
    if not left_is_table and not right.is_table:
        shape = "STREAM_STREAM"
        if window is None:
            raise StatementError(
                "Stream-Stream joins must have a WITHIN clause specified. None was provided. "
                "To learn about how to specify a WITHIN clause with a stream-stream join, please "
                "visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html"
                "#create-stream-as-select"
            )
    elif not left_is_table and right.is_table:
        shape = "STREAM_TABLE"
        if kind in ("FULL", "RIGHT"):
            which = "full-outer" if kind == "FULL" else "right"
            raise StatementError(
                f"Invalid join type: {which} join not supported for stream-table join. Got {got}."
            )
        if not _is_key_column(right_expr, right):
            raise StatementError(
                "Invalid join condition: stream-table joins require to join on the table's "
                f"primary key. Got {shown_on}."
            )
    elif left_is_table and not right.is_table:
        raise StatementError(
            "Invalid join order: table-stream joins are not supported; only stream-table joins. "
            f"Got {got}."
        )
    else:
        if not _is_key_column(right_expr, right):
            raise StatementError(
                "Invalid join condition: table-table joins require to join on the primary key of "
                f"the right input table. Got {shown_on}."
            )
        shape = "TABLE_TABLE" if _in_keys(left_expr, plan.key_exprs) else "FOREIGN_KEY"
        if shape == "FOREIGN_KEY":
            if index > 1:
                raise StatementError(
                    "Invalid join condition: foreign-key table-table joins are not supported as "
                    f"part of n-way joins. Got {shown_on}."
                )
            if kind not in ("INNER", "LEFT"):
                raise StatementError(
                    f"Invalid join type: {kind.lower()} join not supported for foreign-key "
                    f"table-table join. Got {got}."
                )
    if window is not None and shape != "STREAM_STREAM":
        raise StatementError(
            "A window definition was provided for a Stream-Table join. These joins are not "
            "windowed. Please drop the window definition (ie. the WITHIN clause) and try to "
            "re-run your join."
            if shape == "STREAM_TABLE"
            else "A window definition was provided for a Table-Table join. These joins are not "
            "windowed. Please drop the window definition (i.e. the WITHIN clause) and try to "
            "re-run your join."
        )
    _check_windows(left_owner, right, left_expr, right_expr, plan.key_exprs)
    _update_keys(plan, shape, kind, left_expr, right_expr, left_c.type, left_owner)
    windowed = left_owner.source.window is not None
    left_sql, right_sql = left_c.sql, right_c.sql
    if windowed:
        left_sql, right_sql = _windowed_key(left_sql, left_owner), _windowed_key(right_sql, right)
    return JoinStep(
        shape=shape,
        kind=kind,
        right=right,
        left_inputs=tuple(visible[:-1]),
        left_key_sql=left_sql,
        right_key_sql=right_sql,
        windowed=windowed,
        key_type=left_c.type,
        before_ms=window.before_ms if window else 0,
        after_ms=window.after_ms if window else 0,
        grace_ms=window.grace_ms if window else None,
        on=scope.qualify(on),
    )


def _windowed_key(sql: str, inp: JoinInput) -> str:
    """Rows of windowed sources join only within the same window."""
    start, end = (
        quote_identifier(f"{inp.alias}_WINDOWSTART"),
        quote_identifier(f"{inp.alias}_WINDOWEND"),
    )
    return f"struct_pack(k := {sql}, s := {start}, e := {end})"


def _in_keys(expr: ast.Expr, keys: list[ast.Expr]) -> bool:
    return any(expr == k for k in keys)


def _check_windows(left_owner, right, left_expr, right_expr, keys) -> None:
    lw, rw = left_owner.source.window, right.source.window
    if lw is None and rw is None:
        return
    if (lw is None) != (rw is None):
        windowed, plain = (left_owner, right) if lw is not None else (right, left_owner)
        raise StatementError(
            "Can not join windowed source to non-windowed source.\n"
            f"`{windowed.source.name}` is {windowed.source.window.kind} windowed\n"
            f"`{plain.source.name}` is not windowed"
        )
    if (lw.kind == "SESSION") != (rw.kind == "SESSION"):
        raise StatementError(
            "Incompatible windowed sources.\n"
            f"Left source: {lw.kind}\nRight source: {rw.kind}\n"
            "Session windowed sources can only be joined to other session windowed sources, and "
            "may still not result in expected behaviour as session bounds must be an exact match "
            "for the join to work\n"
            "Hopping and tumbling windowed sources can only be joined to other hopping and "
            "tumbling windowed sources"
        )
    if not _is_key_column(right_expr, right) or not _in_keys(left_expr, keys):
        raise StatementError(
            "Implicit repartitioning of windowed sources is not supported. "
            "See https://github.com/confluentinc/ksql/issues/4385."
        )


def _update_keys(plan: JoinPlan, shape, kind, left_expr, right_expr, key_type, left_owner) -> None:
    if shape == "FOREIGN_KEY":
        plan.foreign_key = True
        return  # the result keeps the left table's key
    plan.foreign_key = False
    keys = plan.key_exprs if _in_keys(left_expr, plan.key_exprs) else [left_expr]
    if kind == "FULL":
        # Either side may be missing: the key is a synthetic column, never a source column.
        plan.key_exprs = []
    else:
        plan.key_exprs = keys + ([right_expr] if right_expr not in keys else [])
    plan.synthetic = None
    if not any(isinstance(k, ast.ColumnRef) for k in plan.key_exprs):
        taken = {c.name for i in plan.inputs for c in i.columns}
        name, n = "ROWKEY", 0
        while name in taken:
            n += 1
            name = f"ROWKEY_{n}"
        plan.synthetic = (name, key_type)
    plan.key_type = key_type
    _check_key_type(
        plan.synthetic[0] if plan.synthetic else _joined_name(plan, plan.key_exprs[0]), key_type
    )


def _joined_name(plan: JoinPlan, expr: ast.Expr) -> str:
    if isinstance(expr, ast.ColumnRef) and expr.source is not None:
        return f"{expr.source}_{expr.name}"
    return format_expr(expr)
