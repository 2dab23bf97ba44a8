"""What SHOW FUNCTIONS and DESCRIBE FUNCTION print: every function, its kind and signatures.

User functions (ksql/udf.py) list their declared signatures, argument names (those of the
Python function) and return types; built-in scalar functions list their argument counts (their
types are checked when a call compiles), aggregates their class description. `rest_fields`
gives the fields of ksqlDB's `describe_function` REST entity.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from ksql.functions.aggregates import aggregate_registry
from ksql.functions.registry import ScalarFunction, default_registry
from ksql.functions.signatures import Signature, show_pattern


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    type: str
    variadic: bool = False


@dataclass(frozen=True, slots=True)
class Variation:
    """One signature: its arguments, return type and what it does."""

    name: str
    arguments: tuple[Argument, ...]
    return_type: str
    description: str = ""

    @property
    def signature(self) -> str:
        """`NAME(arg1 TYPE, rest TYPE[])`, as ksqlDB's CLI prints a variation."""
        shown = [f"{a.name} {a.type}{'[]' if a.variadic else ''}" for a in self.arguments]
        return f"{self.name}({', '.join(shown)})"


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    name: str
    type: str  # SCALAR | AGGREGATE | TABLE
    category: str
    description: str
    variations: tuple[Variation, ...]
    path: str = "internal"  # where a user function was defined


def _names(fn: Any, count: int, skip: int = 0) -> list[str]:
    """Argument names of a Python function (after `skip` leading ones), else arg1, arg2..."""
    try:
        params = list(inspect.signature(fn).parameters.values())[skip:]
    except (TypeError, ValueError):
        params = []
    names: list[str] = []
    for i in range(count):
        if i < len(params) and params[i].kind != inspect.Parameter.VAR_POSITIONAL:
            names.append(params[i].name)
        elif params and params[-1].kind == inspect.Parameter.VAR_POSITIONAL:
            names.append(params[-1].name)
        else:
            names.append(f"arg{i + 1}")
    return names


def _arguments(signature: Signature, names: list[str]) -> tuple[Argument, ...]:
    return tuple(
        Argument(name, show_pattern(p), i == signature.variadic)
        for i, (name, p) in enumerate(zip(names, signature.params, strict=True))
    )


def _path(obj: Any) -> str:
    return inspect.getsourcefile(obj) or "user-defined" if callable(obj) else "user-defined"


def _arity_arguments(f: ScalarFunction) -> tuple[Argument, ...]:
    low, high = f.arity
    count = low if high is None else high
    args = [Argument(f"arg{i + 1}", "ANY") for i in range(count)]
    if high is None:
        args.append(Argument(f"arg{low + 1}", "ANY", variadic=True))
    return tuple(args)


def _scalar_info(name: str, f: ScalarFunction) -> FunctionInfo:
    from ksql.udf import _FUNCTIONS

    user = _FUNCTIONS.get(name)
    if user is None:
        variation = Variation(name, _arity_arguments(f), "(varies)", f.description)
        return FunctionInfo(name, f.kind, f.category, f.description, (variation,))
    variations = tuple(
        Variation(
            name,
            _arguments(o.signature, _names(o.fn, len(o.signature.params))),
            "(varies)" if callable(o.returns) else str(o.returns),
            o.description,
        )
        for o in user.overloads
    )
    path = _path(user.overloads[0].fn) if user.overloads else "user-defined"
    return FunctionInfo(name, f.kind, "USER", f.description, variations, path)


def _aggregate_info(name: str) -> FunctionInfo | None:
    cls = aggregate_registry().lookup(name)
    if cls is None:
        return None
    overloads = getattr(cls, "overloads", None)
    if overloads is None:
        doc = (cls.__doc__ or "").strip().splitlines()
        return FunctionInfo(name, "AGGREGATE", "AGGREGATE", doc[0] if doc else "", ())
    variations = []
    for o in overloads:
        names = _names(o.impl.add, len(o.signature.params), skip=2)  # after self, aggregate
        init = _names(o.impl.__init__, len(o.init_params), skip=1)
        args = _arguments(o.signature, names) + tuple(
            Argument(n, t) for n, t in zip(init, o.init_params, strict=True)
        )
        variations.append(Variation(name, args, o.returns, o.description))
    description = next((o.description for o in overloads if o.description), "")
    path = _path(overloads[0].impl) if overloads else "user-defined"
    return FunctionInfo(name, "AGGREGATE", "USER", description, tuple(variations), path)


def describe(name: str) -> FunctionInfo | None:
    """A function by name (any case), or None."""
    key = name.upper()
    scalar = default_registry().lookup(key)
    if scalar is not None:
        return _scalar_info(key, scalar)
    return _aggregate_info(key)


def list_functions() -> list[FunctionInfo]:
    """Every function, sorted by name."""
    return [info for name in default_registry().names() if (info := describe(name)) is not None]


def render(info: FunctionInfo) -> str:
    """DESCRIBE FUNCTION as text, in the shape of ksqlDB's CLI output."""
    lines = [
        f"Name        : {info.name}",
        "Author      : ",
        "Version     : ",
        f"Overview    : {info.description}",
        f"Type        : {info.type}",
        f"Jar         : {info.path}",
        "Variations  : ",
    ]
    for v in info.variations:
        lines += ["", f"\tVariation   : {v.signature}", f"\tReturns     : {v.return_type}"]
        if v.description:
            lines.append(f"\tDescription : {v.description}")
    return "\n".join(lines)


def rest_fields(info: FunctionInfo) -> dict[str, Any]:
    """The fields of ksqlDB's `describe_function` entity (besides @type and statementText)."""
    return {
        "name": info.name,
        "description": info.description,
        "author": "",
        "version": "",
        "path": info.path,
        "functions": [
            {
                "arguments": [
                    {"name": a.name, "type": a.type, "description": "", "isVariadic": a.variadic}
                    for a in v.arguments
                ],
                "returnType": v.return_type,
                "description": v.description,
                "argumentTypes": [a.type for a in v.arguments],
            }
            for v in info.variations
        ],
        "type": info.type,
    }
