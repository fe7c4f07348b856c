"""Counts of the import structure, for anyone to run: `python scripts/structure.py`.

- imports between apps, and the cycles they form (strongly connected groups of apps), for all
  modules and for the domain alone (models, rules, selectors, services: pages, the API and the
  command line left out, as they sit above every app);
- imports inside functions that reach another app (the hidden ones), and those of them where
  Django needs them (the command line and ``apps.py``, which run before the app registry, and
  the restore, which runs before Django is set up);
- imports inside functions at all;
- modules that assign ``Task.status`` (``<x>.status = …`` on a task) or write it in SQL.

Reads the source with ``ast``; imports nothing of LinkStar. Migrations are left out, and so are
type-only imports (under ``if TYPE_CHECKING:``), which are no dependency at run time. ``-v``
lists the imports behind each count."""

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


# Where Django needs an import inside a function: before the app registry or settings exist.
DJANGO_NEEDS = re.compile(r"^linkstar\.(cli|[a-z_]+\.apps|backups\.restore)$")
# Modules above every app: pages, the API, the command line, the demo and the URL map.
INTERFACE = re.compile(
    r"^linkstar\.(cli|urls|demo|api)(\.|$)|\.(views|api|forms|urls|templatetags)(\.|$)|_(api|views)$"
)


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"


def _imports(tree: ast.AST):
    """(module imported, inside a function?) for every import of the tree, type-only ones
    left out. Relative imports count as imports of their own package."""
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom):
                found.append((child.module if child.level == 0 else "", in_function))
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
    return counts()["writers"]


def counts() -> dict:
    """Every count the script prints, with what is behind it."""
    edges: dict[str, set[str]] = defaultdict(set)
    domain: dict[str, set[str]] = defaultdict(set)
    hidden, needed, inside, writers = [], [], [], []
    for module, path in _modules():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        app = _app(module)
        for target, in_function in _imports(tree):
            if in_function:
                inside.append(f"{module} → {target or '(relative)'}")
            other = _app(target)
            if other is None or other == app:
                continue
            edges[app].add(other)
            if not INTERFACE.search(module):
                domain[app].add(other)
            if in_function:
                (needed if DJANGO_NEEDS.match(module) else hidden).append(f"{module} → {target}")
        if _status_writers(tree, source):
            writers.append(module)
    inside = [line for line in inside if not DJANGO_NEEDS.match(line.split(" → ")[0])]
    return {
        "edges": edges,
        "cycles": _cycles(edges),
        "domain_cycles": _cycles(domain),
        "hidden": hidden,
        "needed": needed,
        "inside": inside,
        "writers": writers,
    }


def main() -> int:
    found = counts()
    verbose = "-v" in sys.argv

    def listed(lines):
        if verbose:
            for line in lines:
                print("  " + line)

    print(f"apps importing each other: {sum(len(v) for v in found['edges'].values())} edges")
    print(f"cycles between apps: {len(found['cycles'])}")
    for group in found["cycles"]:
        print(f"  {len(group)} apps: " + " ⇄ ".join(group))
    print(f"cycles between apps, their domain alone: {len(found['domain_cycles'])}")
    for group in found["domain_cycles"]:
        print(f"  {len(group)} apps: " + " ⇄ ".join(group))
    print(f"imports inside functions that reach another app: {len(found['hidden'])}")
    listed(found["hidden"])
    print(f"  and where Django needs them (CLI, apps.py, restore): {len(found['needed'])}")
    listed(found["needed"])
    print(f"imports inside functions at all, elsewhere: {len(found['inside'])}")
    listed(found["inside"])
    print(f"modules that write Task.status: {len(found['writers'])}")
    for module in found["writers"]:
        print("  " + module)
    return 0


if __name__ == "__main__":
    sys.exit(main())
