"""What SHOW FUNCTIONS and DESCRIBE FUNCTION print: every function, its kind and signatures.

Built-in functions list the signatures declared in ksql/functions/declared/ (ksqlDB's
variations: argument names and types, return type, description); user functions (ksql/udf.py)
list theirs, with the argument names of the Python function. Types print as ksqlDB prints
parameter types (VARCHAR, INT, ARRAY<T>, ...). `rest_fields` gives the fields of ksqlDB's
`describe_function` REST entity.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from ksql.functions.aggregates import aggregate_registry
from ksql.functions.declared import Declaration, declared, parse_type, render_type
from ksql.functions.registry import ScalarFunction, default_registry
from ksql.functions.signatures import Signature


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
    author: str = ""


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
        Argument(name, render_type(p), i == signature.variadic)
        for i, (name, p) in enumerate(zip(names, signature.params, strict=True))
    )


def _path(obj: Any) -> str:
    return inspect.getsourcefile(obj) or "user-defined" if callable(obj) else "user-defined"


def _returns(returns: Any) -> str:
    return "(varies)" if callable(returns) else render_type(parse_type(str(returns)))


def _builtin_info(name: str, kind: str, category: str, d: Declaration) -> FunctionInfo:
    variations = tuple(
        Variation(
            name,
            tuple(Argument(p.name, render_type(p.type), p.variadic) for p in v.params),
            render_type(v.returns),
            v.description,
        )
        for v in d.variations
    )
    return FunctionInfo(name, kind, category, d.overview, variations, author="Confluent")


def _scalar_info(name: str, f: ScalarFunction) -> FunctionInfo:
    from ksql.udf import _FUNCTIONS

    user = _FUNCTIONS.get(name)
    if user is None:
        d = declared(name)
        if d is None:
            return FunctionInfo(name, f.kind, f.category, f.description, ())
        return _builtin_info(name, f.kind, f.category, d)
    variations = tuple(
        Variation(
            name,
            _arguments(o.signature, _names(o.fn, len(o.signature.params))),
            _returns(o.returns),
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
        d = declared(name)
        if d is None:
            doc = (cls.__doc__ or "").strip().splitlines()
            return FunctionInfo(name, "AGGREGATE", "AGGREGATE", doc[0] if doc else "", ())
        return _builtin_info(name, "AGGREGATE", "AGGREGATE", d)
    variations = []
    for o in overloads:
        names = _names(o.impl.add, len(o.signature.params), skip=2)  # after self, aggregate
        init = _names(o.impl.__init__, len(o.init_params), skip=1)
        args = _arguments(o.signature, names) + tuple(
            Argument(n, render_type(parse_type(t)))
            for n, t in zip(init, o.init_params, strict=True)
        )
        variations.append(Variation(name, args, _returns(o.returns), o.description))
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
    """DESCRIBE FUNCTION as text, in the shape of ksqlDB's CLI output (which leaves out an
    empty author, version or overview; long lines are not wrapped here)."""
    lines = [f"Name        : {info.name}"]
    if info.author:
        lines.append(f"Author      : {info.author}")
    if info.description:
        lines.append(f"Overview    : {info.description}")
    lines += [f"Type        : {info.type}", f"Jar         : {info.path}", "Variations  : "]
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
        "author": info.author,
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
