"""The CLI frame: error handling, exit codes, the service placeholder."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from cli import main as cli_main
from imaging.errors import OutputError, SeriesError

REPO = Path(__file__).resolve().parents[2]


def _fake_command(error: Exception) -> argparse.Namespace:
    def fail(_: argparse.Namespace) -> int:
        raise error

    return argparse.Namespace(command="fake", debug=False, func=fail)


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (SeriesError("Bad spacing.", check="slice_spacing", uid="1.2"), 2, "petiq fake: error: Bad spacing."),
        (OutputError("Disk full."), 1, "petiq fake: error: Disk full."),
        (RuntimeError("boom"), 1, "petiq fake: internal error: RuntimeError: boom"),
    ],
)
def test_errors_become_one_line_and_an_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: Exception, code: int, line: str
) -> None:
    parser = cli_main.build_parser()
    monkeypatch.setattr(parser, "parse_args", lambda argv: _fake_command(error))
    monkeypatch.setattr(cli_main, "build_parser", lambda: parser)
    assert cli_main.main([]) == code
    err = capsys.readouterr().err
    assert err.startswith(line)
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def _console(*args: str, extra: str = "") -> subprocess.CompletedProcess[str]:
    """``petiq ARGS`` as the console script runs it (``cli.main:run``), in a fresh interpreter."""
    code = f"import sys\n{extra}\nimport cli.main\nsys.argv = ['petiq', *{list(args)!r}]\ncli.main.run()\n"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )


def test_the_console_script_exits_with_the_command_code_and_one_line(tmp_path: Path) -> None:
    """...and leaves the objects still alive out of the last collection; what was written before still arrives."""
    extra = "import atexit, gc\natexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))"
    done = _console("inspect", str(tmp_path / "absent"), extra=extra)
    assert done.returncode == 2
    assert done.stderr.startswith("petiq inspect: error:") and len(done.stderr.strip().splitlines()) == 1
    assert done.stdout.strip() == "frozen True"
