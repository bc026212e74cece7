"""The layers of desktop/, in the spirit of import-linter contracts: every import is read from
the source (those inside functions too), and

- there is no import cycle anywhere in desktop/;
- the foundation (errors, paths, settings, the machine and its CPU budget, trial loads) imports
  no engine and nothing above;
- the engines (brain, voice, face, memory, call, personas) import nothing above them: not the
  composition root (app), doctor, models, bench, the command line, the likeness builder or ui.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "desktop"
FOUNDATION = ("desktop.errors", "desktop.paths", "desktop.text", "desktop.timestamps",
              "desktop.settings", "desktop.machine", "desktop.budget", "desktop.trial",
              "desktop.child", "desktop.logs")
ENGINES = ("desktop.brain", "desktop.voice", "desktop.face", "desktop.memory", "desktop.call",
           "desktop.personas")
ABOVE_ENGINES = ("desktop.app", "desktop.doctor", "desktop.models", "desktop.bench",
                 "desktop.cli", "desktop.likeness", "desktop.ui", "desktop.fixtures")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_there_is_no_import_cycle_in_desktop() -> None:
    assert cycles(import_graph()) == []


def test_the_foundation_imports_no_engine_and_nothing_above() -> None:
    wrong = [(a, b) for a, targets in import_graph().items() if within(a, FOUNDATION)
             for b in targets if within(b, ENGINES + ABOVE_ENGINES)]
    assert wrong == []


def test_engines_import_nothing_above_them() -> None:
    wrong = [(a, b) for a, targets in import_graph().items() if within(a, ENGINES)
             for b in targets if within(b, ABOVE_ENGINES)]
    assert wrong == []


def test_the_layer_check_sees_a_cycle_and_an_upward_import() -> None:
    """The checks above could pass by reading nothing: they must see these."""
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]
    graph = import_graph()
    assert "desktop.call.session" in graph["desktop.app"]  # imports are read at all
    assert "desktop.trial" in graph["desktop.app"]  # including those inside functions


MAX_FILE_LINES = 490  # "about 450": a module past this has more than one idea in it
MAX_FUNCTION_LINES = 60


def test_no_module_is_too_big_and_no_long_function_goes_without_a_reason() -> None:
    """A function over 60 lines says why beside it, as the first line of its body:
    ``# Long: <reason>`` (a graph built node by node, a benchmark read top to bottom)."""
    big_files, unexplained = [], []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if len(lines) > MAX_FILE_LINES:
            big_files.append((str(path.relative_to(ROOT)), len(lines)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                head = "\n".join(lines[node.lineno - 1:node.lineno + 12])
                if length > MAX_FUNCTION_LINES and "# Long:" not in head:
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert big_files == []
    assert unexplained == []
