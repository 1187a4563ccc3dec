"""The onnxruntime-only paths of the CLI never import torch (issue 25): checked in a fresh interpreter that runs
``petiq --help``, ``petiq inspect`` and the real ``petiq process --no-score`` (shipped weights, onnxruntime) with
``--adapt off`` and with the default ``auto`` without splits (no adaptation). Scoring is the control: it loads
the scorer's torch network."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fresh_python import fresh_python
from tests.workers.builders import small_study

_RUN = (
    "import contextlib, io, sys\n"
    "from cli.main import main\n"
    "def run(*argv):\n"
    "    with contextlib.redirect_stdout(io.StringIO()):\n"
    "        try:\n"
    "            code = main(list(argv))\n"
    "        except SystemExit as exit:\n"  # --help
    "            code = exit.code\n"
    "    assert code == 0, (argv, code)\n"
)
_REPORT = "print(sorted(name for name in ('torch', 'onnxruntime') if name in sys.modules))\n"


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_study(directory=tmp_path_factory.mktemp("study") / "study")


def test_help_and_inspect_do_not_import_torch(series_dir: Path) -> None:
    code = f"{_RUN}run('--help')\nrun('inspect', {str(series_dir)!r})\nrun('inspect', '--json', {str(series_dir)!r})\n"
    assert fresh_python(code=code + _REPORT) == "[]"


def test_process_without_scoring_or_adaptation_does_not_import_torch(series_dir: Path, tmp_path: Path) -> None:
    code = (
        f"{_RUN}run('process', {str(series_dir)!r}, '-o', {str(tmp_path / 'off')!r}, '--no-score', '--adapt', 'off')\n"
        f"run('process', {str(series_dir)!r}, '-o', {str(tmp_path / 'auto')!r}, '--no-score')\n"
    )
    assert fresh_python(code=code + _REPORT) == "['onnxruntime']"
    assert (tmp_path / "off" / "result.json").is_file() and (tmp_path / "auto" / "result.json").is_file()


def test_process_with_scoring_imports_torch(series_dir: Path, tmp_path: Path) -> None:
    code = f"{_RUN}run('process', {str(series_dir)!r}, '-o', {str(tmp_path / 'out')!r}, '--adapt', 'off')\n"
    assert fresh_python(code=code + _REPORT) == "['onnxruntime', 'torch']"
