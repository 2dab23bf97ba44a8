"""User aggregate functions written in Python (initialize / add / undo / merge / result).

A user aggregate is a class; one instance is made per aggregate call, with the call's literal
initial arguments (`init_params`, the trailing literal arguments, as ksqlDB's UDAF factories
take them):

    class SumLengths:
        def __init__(self, *init_args): ...            # optional
        def initialize(self): return 0                  # the empty aggregate
        def add(self, aggregate, *values): ...          # fold one row in
        def undo(self, aggregate, *values): ...         # optional: retract (TABLE sources)
        def merge(self, first, second): ...             # optional: SESSION windows
        def result(self, aggregate): ...                # optional: identity by default

The aggregate value is stored as the declared `state` SQL type (the result type by default), so
it survives restarts like any other state. The operator runs these record by record (the
per-record path of ksql/runtime/aggregate.py); with a `result` method the state also keeps the
current result in a second column, so reading a result (`result_sql`) never needs Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ksql.errors import StatementError
from ksql.functions.aggregates.base import AggregateFunction
from ksql.functions.pyvalues import python_value
from ksql.functions.signatures import Binding, Signature, match, parse_pattern, result_type
from ksql.types import SqlType


@dataclass(frozen=True, slots=True)
class AggregateOverload:
    """One implementation of a user aggregate for one declared signature."""

    signature: Signature
    init_params: tuple[str, ...]
    returns: str
    state: str | None
    impl: type
    description: str = ""


class PythonAggregate(AggregateFunction):
    """A user aggregate bound to one overload; subclassed once per registered name."""

    name = ""
    python_only = True
    overloads: ClassVar[list[AggregateOverload]] = []

    def __init__(
        self,
        arg_types: tuple[SqlType, ...],
        params: tuple[Any, ...] = (),
        properties: dict[str, str] | None = None,
        *,
        overload: AggregateOverload | None = None,
        binding: Binding | None = None,
    ) -> None:
        super().__init__(arg_types, params, properties)
        assert overload is not None and binding is not None
        self.overload = overload
        self.impl = overload.impl(*params)
        self._result = result_type(overload.returns, binding)
        self._state = result_type(overload.state, binding) if overload.state else self._result
        self.supports_undo = hasattr(self.impl, "undo")  # type: ignore[misc]
        # Without a result method the aggregate is the result: one state column.
        self.finish = getattr(self.impl, "result", None)

    @classmethod
    def bind_call(cls, args: Sequence[Any], properties: dict[str, str] | None):  # type: ignore[no-untyped-def]
        from ksql.functions.aggregates import BoundCall

        matches = []
        for overload in cls.overloads:
            k = len(overload.init_params)
            columns, literals = list(args[: len(args) - k]), list(args[len(args) - k :])
            if len(literals) != k or not all(
                a.literal and match(parse_pattern(p), a.type, {}) is not None
                for a, p in zip(literals, overload.init_params, strict=True)
            ):
                continue
            binding = overload.signature.bind([a.type for a in columns])
            if binding is not None:
                matches.append((binding.cost, overload, binding, columns, literals))
        if not matches:
            shown = ", ".join("null" if a.type is None else str(a.type) for a in args)
            raise StatementError(f"Function '{cls.name}' does not accept parameters ({shown}).")
        _, overload, binding, columns, literals = min(matches, key=lambda m: m[0])
        fn = cls(
            binding.types,
            tuple(a.value for a in literals),
            properties,
            overload=overload,
            binding=binding,
        )
        return BoundCall(fn, tuple(range(len(columns))))

    # --- typing ---------------------------------------------------------------------------
    def result_type(self) -> SqlType:
        return self._result

    def state_types(self) -> list[tuple[str, SqlType]]:
        if self.finish is None:
            return [("agg", self._state)]
        return [("agg", self._state), ("res", self._result)]

    # --- SQL: only the result is read in SQL (EMIT FINAL); rows fold in Python --------------
    def result_sql(self, state: list[str]) -> str:
        return state[-1]

    # --- per-record Python ----------------------------------------------------------------
    def _with_result(self, aggregate: Any) -> tuple[Any, ...]:
        if self.finish is None:
            return (aggregate,)
        return (aggregate, self.finish(aggregate))

    def _args(self, args: tuple[Any, ...]) -> list[Any]:
        return [python_value(v, t) for v, t in zip(args, self.arg_types, strict=True)]

    def _stored(self, state: tuple[Any, ...]) -> Any:
        return python_value(state[0], self._state)

    def initialize(self) -> tuple[Any, ...]:
        return self._with_result(self.impl.initialize())

    def add(self, state: tuple[Any, ...], args: tuple[Any, ...], ordinal: int) -> tuple[Any, ...]:
        return self._with_result(self.impl.add(self._stored(state), *self._args(args)))

    def undo(self, state: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
        return self._with_result(self.impl.undo(self._stored(state), *self._args(args)))

    def merge(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
        if not hasattr(self.impl, "merge"):
            raise StatementError(f"{self.name} cannot merge sessions (it has no merge method)")
        return self._with_result(self.impl.merge(self._stored(first), self._stored(second)))

    def result(self, state: tuple[Any, ...]) -> Any:
        return state[-1]


def aggregate_class(name: str) -> type[PythonAggregate]:
    """A new PythonAggregate subclass for a user aggregate name (overloads added later)."""
    return type(f"PythonAggregate_{name}", (PythonAggregate,), {"name": name, "overloads": []})
