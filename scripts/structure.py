"""Counts of the import structure, for anyone to run: `python scripts/structure.py`.

- imports between apps, and the cycles they form (strongly connected groups of apps);
- imports inside functions that reach another app (the hidden ones);
- modules that assign ``Task.status`` (``<x>.status = …`` on a task) or write it in SQL.

Reads the source with ``ast``; imports nothing of LinkStar. Migrations are left out."""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "linkstar"
TASK_STATUS_SQL = re.compile(r"UPDATE[^\n]*projects_task[^\n]*SET status|SET status = %s", re.I)


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "linkstar" else None


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(ROOT.parent).with_suffix("")
        yield ".".join(rel.parts).removesuffix(".__init__"), path


def _imports(tree: ast.AST):
    """(module imported, inside a function?) for every import of the tree."""
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module, in_function))
            elif isinstance(child, ast.Import):
                found.extend((alias.name, in_function) for alias in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def _status_writers(tree: ast.AST, source: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and isinstance(target.value, ast.Name)
                    and target.value.id in {"task", "t", "dep"}
                ):
                    return True
    return bool(TASK_STATUS_SQL.search(source))


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one app (Tarjan)."""
    index, low, stack, on, groups, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return groups


def status_writers() -> list[str]:
    """The modules that assign ``Task.status`` or write it in SQL."""
    found = []
    for module, path in _modules():
        source = path.read_text(encoding="utf-8")
        if _status_writers(ast.parse(source), source):
            found.append(module)
    return found


def main() -> int:
    edges: dict[str, set[str]] = defaultdict(set)
    hidden, writers = [], []
    for module, path in _modules():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        app = _app(module)
        for target, in_function in _imports(tree):
            other = _app(target)
            if other is None or other == app:
                continue
            edges[app].add(other)
            if in_function:
                hidden.append(f"{module} → {target}")
        if _status_writers(tree, source):
            writers.append(module)
    cycles = _cycles(edges)
    print(f"apps importing each other: {sum(len(v) for v in edges.values())} edges")
    print(f"cycles between apps: {len(cycles)}")
    for group in cycles:
        print("  " + " ⇄ ".join(group))
    print(f"imports inside functions that reach another app: {len(hidden)}")
    if "-v" in sys.argv:
        for line in hidden:
            print("  " + line)
    print(f"modules that write Task.status: {len(writers)}")
    for module in writers:
        print("  " + module)
    return 0


if __name__ == "__main__":
    sys.exit(main())
