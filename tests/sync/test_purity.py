"""``sync/`` is a pure library: importing all of it must not load Flask."""
import pkgutil
import subprocess
import sys

import sync
from tests.processes import ROOT


def test_sync_never_imports_flask():
    modules = [f"sync.{m.name}" for m in pkgutil.iter_modules(sync.__path__)]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "assert 'flask' not in sys.modules, sorted(m for m in sys.modules if 'flask' in m)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert len(modules) >= 10
