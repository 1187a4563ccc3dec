"""The layout of ``bench/``: scripts live in a subject's sub-package, run as ``python -m bench.<subject>.<name>``,
and no bench module imports a script (what two scripts share lives in a non-script module).

A script is a module with a top-level ``if __name__ == "__main__":`` guard; found from the source (AST), so the
rules hold without importing torch and friends.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.import_graph import ROOT

BENCH = ROOT / "bench"
HELP_RUNNER = """
import contextlib, io, json, runpy, sys
codes = {}
for name in sys.argv[1:]:
    sys.argv = [name, "--help"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_module(name, run_name="__main__", alter_sys=True)
        code = "returned without exiting"
    except SystemExit as done:
        code = done.code
    codes[name] = [code, out.getvalue().lstrip().startswith("usage:")]
print(json.dumps(codes))
"""
"""Runs ``--help`` of each named script as ``python -m`` would (runpy), all in one process to keep it cheap."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _trees() -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(BENCH.rglob("*.py"))
    }


def _is_script(tree: ast.Module) -> bool:
    """A top-level ``if __name__ == "__main__":``."""
    return any(
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in node.test.comparators)
        for node in tree.body
    )


def _imported(tree: ast.Module) -> set[str]:
    """Every module an import statement may name, at any depth: ``from a.b import c`` counts ``a.b`` and ``a.b.c``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(f"<relative import, level {node.level}>")
    return names


def _scripts(trees: dict[str, ast.Module]) -> list[str]:
    return sorted(name for name, tree in trees.items() if _is_script(tree))


def test_the_script_finder_sees_the_known_scripts_and_only_those() -> None:
    trees = _trees()
    scripts = _scripts(trees)
    assert {"bench.denoise.quality", "bench.tgd.experiments", "bench.service.load"} <= set(scripts)
    assert not {"bench.tables", "bench.checks", "bench.denoise.cases", "bench.tgd.sections"} & set(scripts)
    assert _is_script(ast.parse('if __name__ == "__main__":\n    main()\n'))
    assert not _is_script(ast.parse('def f() -> None:\n    if __name__ == "__main__":\n        pass\n'))


def test_no_bench_module_imports_a_script() -> None:
    trees = _trees()
    scripts = set(_scripts(trees))
    crossings = {
        (name, imported) for name, tree in trees.items() for imported in _imported(tree) if imported in scripts
    }
    relative = {(name, imported) for name, tree in trees.items() for imported in _imported(tree) if "<" in imported}
    assert crossings == set()
    assert relative == set()


def test_every_script_sits_in_a_subject_and_defines_main() -> None:
    trees = _trees()
    for name in _scripts(trees):
        assert name.count(".") == 2, f"script {name!r} should be bench.<subject>.<name>"
        functions = {node.name for node in trees[name].body if isinstance(node, ast.FunctionDef)}
        assert "main" in functions, f"script {name!r} has no top-level main()"


def test_every_script_answers_help_as_python_m() -> None:
    scripts = _scripts(_trees())
    done = subprocess.run(
        [sys.executable, "-c", HELP_RUNNER, *scripts],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    assert codes == {name: [0, True] for name in scripts}
