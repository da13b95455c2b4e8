"""No import cycle in backend/src: every module can be the first of ours a fresh interpreter imports.

A cycle hides while something else happens to be imported first (the app, a test's conftest); run
alone (`python -c "import chronoview.x"`) it raises ImportError on a partially initialised module.
One `python -c` per module would cost a second or two each, so one subprocess imports the
third-party packages our modules use, then forks a child per module: each child starts with none of
ours loaded, exactly like a fresh interpreter with those packages already installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
# Loaded by Alembic from their files, inside its migration context, never imported by name.
SKIPPED = ("chronoview.storage.migrations",)

# argv: the src folder, then the modules. Prints {module: traceback or null} as JSON.
_CHECKER = r"""
import importlib, json, os, sys, traceback

src, modules = sys.argv[1], sys.argv[2:]
sys.path.insert(0, src)
ours = lambda name: name == "chronoview" or name.startswith("chronoview.")
pid = os.fork()  # learn the third-party modules ours load, in a child, and warm them up here
if pid == 0:
    for module in modules:
        try:
            importlib.import_module(module)
        except BaseException:
            pass
    with open(os.environ["CHECK_THIRD_PARTY"], "w") as out:
        json.dump(sorted(name for name in sys.modules if not ours(name)), out)
    os._exit(0)
os.waitpid(pid, 0)
with open(os.environ["CHECK_THIRD_PARTY"]) as source:
    for name in json.load(source):
        try:
            importlib.import_module(name)
        except BaseException:
            pass
assert not any(ours(name) for name in sys.modules), "a third-party import loaded one of ours"
found = {}
for module in modules:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            report = b""
        except BaseException:
            report = traceback.format_exc().encode()
        os.write(write, report)
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    found[module] = b"".join(chunks).decode() or None
print(json.dumps(found))
"""


def modules(src: Path) -> list[str]:
    """Every module and package under src/chronoview, by dotted name."""
    names = []
    for path in sorted((src / "chronoview").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if not name.startswith(SKIPPED):
            names.append(name)
    return names


def first_import_failures(src: Path, tmp_path: Path) -> dict[str, str]:
    """{module: traceback} of the modules that fail to import first."""
    listed = modules(src)
    result = subprocess.run(
        [sys.executable, "-c", _CHECKER, str(src), *listed], capture_output=True, text=True,
        timeout=300, check=True, env={"CHECK_THIRD_PARTY": str(tmp_path / "third-party.json"),
                                      "PATH": "/usr/bin:/bin"},
    )
    found: dict[str, str | None] = json.loads(result.stdout)
    assert sorted(found) == sorted(listed)
    return {module: error for module, error in found.items() if error is not None}


def test_every_module_imports_first_in_a_fresh_interpreter(tmp_path: Path) -> None:
    failures = first_import_failures(SRC, tmp_path)
    assert not failures, "\n".join(f"{module}:\n{error}" for module, error in failures.items())


def test_the_check_sees_a_cycle(tmp_path: Path) -> None:
    """Two modules that import a name from each other: whichever comes first fails."""
    package = tmp_path / "src" / "chronoview"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "first.py").write_text("from chronoview.second import TWO\nONE = 1\n")
    (package / "second.py").write_text("from chronoview.first import ONE\nTWO = 2\n")
    (package / "alone.py").write_text("import json\n")
    failures = first_import_failures(tmp_path / "src", tmp_path)
    assert sorted(failures) == ["chronoview.first", "chronoview.second"]
    assert "partially initialized module" in failures["chronoview.first"]
