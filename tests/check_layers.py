"""Checks that imports point one way through the engine's layers; prints every violation.

Run it as `python tests/check_layers.py` (CI does, through tests/test_layers.py). Each package
or top-level module of ksql belongs to one layer; a module may import its own layer and the
layers below it, never a layer above. Runtime and analyzer are siblings: neither imports the
other (the plan layer joins them). Server and shell sit above the Engine and reach the engine's
internals only through it: they may import only the modules in ADAPTER_IMPORTS.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top. Names are ksql's subpackages and top-level modules.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "types", "ast", "expr_text", "catalog", "results", "properties"),  # data
    ("parser", "parse_tree", "parse_values", "parse_limits", "prepare"),  # grammar -> AST
    ("storage", "command_log"),  # topic logs, offsets, state files, the statement log
    ("formats", "schemas", "functions", "compiler", "udf"),  # serde, functions, SQL of exprs
    ("runtime", "analyzer"),  # siblings: operators and runners | name and type resolution
    ("cluster",),  # runners shared between servers
    ("plan",),  # logical plan, physical plan, EXPLAIN
    ("connect",),  # connectors, transforms, converters and the runtime that runs them
    ("executor",),  # one handler per statement kind
    ("engine", "__init__"),  # the facade
    ("conformance",),  # the corpus runner, a client of the engine
)
SIBLINGS = {("runtime", "analyzer"), ("analyzer", "runtime")}

# What the adapters (server/, repl/) may import from ksql: the facade and the data it returns
# (results, and the catalog's Source, Column and PersistentQuery records), and the properties
# a request may set (checked before a request runs).
ADAPTER_IMPORTS = {
    "engine", "results", "catalog", "errors", "types", "ast", "parser", "prepare", "functions",
    "properties",
}
ADAPTERS = ("server", "repl")


def layer_of(name: str) -> int:
    for index, layer in enumerate(LAYERS):
        if name in layer:
            return index
    raise KeyError(f"ksql.{name} is in no layer of tests/check_layers.py: add it")


def _part(module: str) -> str | None:
    """The ksql subpackage or top-level module an import names, e.g. 'runtime'."""
    parts = module.split(".")
    if parts[0] != "ksql":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported ksql part) of every import in a file, function-level ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "ksql":
                found += [(node.lineno, alias.name) for alias in node.names]
            elif (part := _part(node.module)) is not None:
                found.append((node.lineno, part))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, p) for a in node.names if (p := _part(a.name)) is not None]
    return found


def violations(root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted((root / "ksql").rglob("*.py")):
        rel = path.relative_to(root / "ksql").parts
        own = rel[0].removesuffix(".py")
        mine = layer_of(own)
        for line, part in imports_of(path):
            if part == own:
                continue
            theirs = layer_of(part)
            if theirs > mine or (own, part) in SIBLINGS:
                problems.append(
                    f"{path.relative_to(root)}:{line}: ksql.{own} (layer {mine}) imports "
                    f"ksql.{part} (layer {theirs})"
                )
    for adapter in ADAPTERS:
        for path in sorted((root / adapter).rglob("*.py")):
            for line, part in imports_of(path):
                if part not in ADAPTER_IMPORTS:
                    problems.append(
                        f"{path.relative_to(root)}:{line}: {adapter} imports ksql.{part}; "
                        "adapters go through the Engine"
                    )
    return problems


def main() -> int:
    problems = violations()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} import(s) against the layers")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
