"""The CLI frame: error handling, exit codes, the service placeholder."""

from __future__ import annotations

import argparse

import pytest

from cli import main as cli_main
from imaging.errors import OutputError, SeriesError


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
