"""``petiq process DIR -o OUT``: the whole job in-process (DESIGN.md §3).

::

    petiq process DIR -o OUT [--weights DIR] [--backend auto|onnxruntime|torch] [--adapt auto|off] [--no-score]

Writes ``OUT/denoised/*.dcm`` (the DERIVED series) and ``OUT/result.json``, all at once; prints one summary line.
The weights are ``--weights``, else ``$PETIQ_DENOISER_WEIGHTS``, else the shipped bundle. A progress bar is drawn
on stderr when it is a terminal. Bad input: one line on stderr, exit code 2, nothing written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.progress import ProgressBar

__all__ = ["register", "run", "summary_line"]


def register(subparsers: Any) -> None:
    """Add ``process`` to the ``petiq`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "process", help="denoise a PET series: derived DICOM series + result.json"
    )
    parser.add_argument("directory", metavar="DIR", type=Path, help="folder holding one PET series")
    parser.add_argument("-o", "--out", required=True, type=Path, metavar="OUT", help="new or empty output folder")
    parser.add_argument("--weights", type=Path, metavar="DIR", help="denoiser bundle (default: shipped weights)")
    parser.add_argument("--backend", choices=("auto", "onnxruntime", "torch"), default="auto", help="runtime")
    parser.add_argument("--adapt", choices=("auto", "off"), default="auto", help="per-study adaptation")
    parser.add_argument("--no-score", action="store_true", help="skip image-quality scoring")
    parser.set_defaults(func=run)


def _number(value: Any, form: str) -> str:
    return "n/a" if value is None else format(value, form)


def summary_line(*, result: dict[str, Any], out: Path) -> str:
    """One line: output series UID, SUVmax (or max Bq/ml) and noise CoV in → out, total seconds."""
    qc = result["qc"]
    if qc["suvmax_in"] is not None:
        peak = f"SUVmax {_number(qc['suvmax_in'], '.3g')} -> {_number(qc['suvmax_out'], '.3g')}"
    else:
        peak = f"max {_number(qc['max_bqml_in'], '.4g')} -> {_number(qc['max_bqml_out'], '.4g')} Bq/ml"
    cov = [None if value is None else value * 100 for value in (qc["noise_cov_in"], qc["noise_cov_out"])]
    noise = f"CoV {_number(cov[0], '.1f')}% -> {_number(cov[1], '.1f')}%"
    seconds = sum(result["timings_s"].values())
    return f"{result['output']['series_uid']} -> {out}: {peak}, {noise}, {seconds:.1f} s"


def run(args: argparse.Namespace) -> int:
    """Run the job described by ``args``; print the summary line."""
    from models.engines import Backend
    from workers.pipeline.job import AdaptMode, ProcessRequest, run_process
    from workers.pipeline.settings import resolve_weights_dir

    request = ProcessRequest(
        input_dir=args.directory,
        out_dir=args.out,
        weights_dir=resolve_weights_dir(override=args.weights),
        adapt=AdaptMode(args.adapt),
        score=not args.no_score,
        backend=Backend(args.backend),
    )
    bar = ProgressBar(stream=sys.stderr)
    try:
        result = run_process(request=request, progress=bar.update)
    finally:
        bar.close()
    print(summary_line(result=result, out=args.out))
    return 0
