"""The house rules: hub and node meet only below them (``sync``, ``web``) and above them
(``hallsync``); imports run downward only, and no module imports one that imports it
back, not even from inside a function."""
from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.processes import ROOT

PACKAGES = ("hallsync", "hub", "node", "web", "sync")
# Which top-level packages each may import (itself included).
ALLOWED = {"hallsync": set(PACKAGES), "hub": {"hub", "web", "sync"},
           "node": {"node", "web", "sync"}, "web": {"web", "sync"}, "sync": {"sync"}}


def modules_of(package: str) -> list[str]:
    names = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # running it runs the command
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("package, never", [("hub", "node"), ("node", "hub"), ("web", "hub"),
                                            ("web", "node"), ("sync", "web")])
def test_importing_all_of_a_package_loads_none_of_another(package, never):
    modules = modules_of(package)
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + f"loaded = sorted(m for m in sys.modules if m.split('.')[0] == {never!r})\n"
            + "assert not loaded, loaded")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert len(modules) >= 5


def _imports() -> dict[str, set[str]]:
    """Each module's imports of project modules, at the top or inside functions."""
    known = {m for p in PACKAGES for m in modules_of(p)}

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges = {}
    for module in known:
        path = ROOT / module.replace(".", "/")
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            found |= {t for t in map(resolve, targets) if t and t != module}
        edges[module] = found
    return edges


def test_imports_run_downward_only():
    wrong = sorted((a, b) for a, targets in _imports().items() for b in targets
                   if b.split(".")[0] not in ALLOWED[a.split(".")[0]])
    assert wrong == []


def test_no_import_circles():
    edges = _imports()
    circles, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            circles.append(path[path.index(module):] + [module])
            return
        if module in done:
            return
        for target in sorted(edges[module]):
            visit(target, path + [module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])
    assert circles == []


def test_package_inits_import_none_of_their_own_submodules():
    edges = _imports()
    own = sorted((m, t) for m, targets in edges.items() for t in targets
                 if (ROOT / m.replace(".", "/") / "__init__.py").exists()
                 and t.startswith(m + "."))
    assert own == []


def test_hub_is_laid_out_by_layer_then_capability():
    """A flat hub/ hid a capability × layer grid in name prefixes; folders show it."""
    top = sorted(p.name for p in (ROOT / "hub").glob("*.py"))
    assert len(top) <= 20, top
    assert not [name for name in top if name.endswith(("_cli.py", "_pages.py", "_api.py"))]


def test_no_module_takes_the_machines_date_for_the_citys():
    """Figures, deadlines and cards count China days; a hub or PC kept on UTC is a day
    behind from 00:00 to 08:00 there, so "today" is always ``sync.case_clock.china_today``."""
    asking = [str(path.relative_to(ROOT)) for package in PACKAGES
              for path in sorted((ROOT / package).rglob("*.py"))
              if "date.today()" in path.read_text(encoding="utf-8")]
    assert asking == []
