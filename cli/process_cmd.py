"""``petiq process DIR -o OUT``: the whole job in-process (DESIGN.md §3).

::

    petiq process DIR -o OUT [--weights DIR] [--backend auto|onnxruntime|torch] [--no-score] [--scorer DIR]
        [--adapt auto|off|n2n-split|single] [--split-a DIR --split-b DIR] [--save-adapted-model PATH]
        [--phi 0.3] [--adapt-steps 300] [--adapt-seconds 90] [--adapt-seed 0] [--adapt-focus-share F]
        [--adapt-focus-weight μ] [--adapt-rounds N] [--strength low|medium|high] [--uncertainty]

Writes ``OUT/denoised/*.dcm`` (the DERIVED series) and ``OUT/result.json``, all at once; prints one summary line.
The weights are ``--weights``, else ``$PETIQ_DENOISER_WEIGHTS``, else the shipped bundle; the quality scorer
``--scorer``, else ``$PETIQ_SCORER_WEIGHTS``, else the shipped one. A progress bar is drawn
on stderr when it is a terminal. Bad input: one line on stderr, exit code 2, nothing written.

Per-study adaptation (TGD-N2N, :mod:`workers.pipeline.adapt`): ``--split-a``/``--split-b`` are the scanner's two
half-count reconstructions; ``auto`` (default) adapts when they are given; ``single`` adapts on the series alone
(an approximation, said so in result.json). The adapted network is a new device (new DeviceUID).

Strength (:mod:`core.strength`): ``--strength low|medium|high``, else ``$PETIQ_DEFAULT_STRENGTH``, else
``medium``; the output is ``input + α · (network output − input)`` with the level's α from the weight bundle
(:mod:`models.strength`), recorded in result.json, the SR and the derived series' DerivationDescription.

Uncertainty (:mod:`workers.pipeline.uncertainty`): ``--uncertainty`` with the split pair denoises both splits as the
output and writes their scaled difference, a voxel-wise standard-deviation estimate of the output, as a second
DERIVED series ``OUT/uncertainty/*.dcm``, summarised in result.json's ``uncertainty``; without the pair,
result.json says none is available and why.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.progress import ProgressBar
from core.adapt import AdaptMode
from core.strength import Strength

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
    parser.add_argument(
        "--ensemble",
        type=int,
        choices=(1, 2, 4, 8),
        default=2,
        help="orientations averaged per slice, each one more pass of the network (4 gained 0.2–0.5 dB over 1)",
    )
    parser.add_argument(
        "--strength",
        choices=[level.value for level in Strength],
        help="denoising strength: a blend of the input and the network's output, more of the network's from low "
        "to high (default: $PETIQ_DEFAULT_STRENGTH, else medium)",
    )
    parser.add_argument(
        "--adapt", choices=[mode.value for mode in AdaptMode], default="auto", help="per-study adaptation"
    )
    parser.add_argument("--split-a", type=Path, metavar="DIR", help="half-count reconstruction A (for n2n-split)")
    parser.add_argument("--split-b", type=Path, metavar="DIR", help="half-count reconstruction B (for n2n-split)")
    parser.add_argument("--save-adapted-model", type=Path, metavar="PATH", help="write the adapted state dict")
    parser.add_argument("--phi", type=float, default=0.3, help="KSE threshold: kernels below it are retrained")
    parser.add_argument("--adapt-steps", type=int, default=300, help="adaptation steps at most")
    parser.add_argument("--adapt-seconds", type=float, default=90.0, help="adaptation time budget, s")
    parser.add_argument("--adapt-seed", type=int, default=0, help="seed of the adaptation's patch sampling")
    parser.add_argument(
        "--adapt-focus-share",
        type=float,
        default=None,
        help="share of split-pair patches drawn where the base network disagrees with the splits (default: shipped)",
    )
    parser.add_argument(
        "--adapt-focus-weight",
        type=float,
        default=None,
        help="loss weight μ of those voxels, 1 + μ·excess (default: shipped)",
    )
    parser.add_argument("--adapt-rounds", type=int, default=None, help="TGD rounds, KSE re-scored each (default 1)")
    parser.add_argument(
        "--uncertainty",
        action="store_true",
        help="with --split-a/--split-b: write a voxel-wise uncertainty series of the output (OUT/uncertainty/)",
    )
    parser.add_argument("--no-score", action="store_true", help="skip image-quality scoring")
    parser.add_argument("--scorer", type=Path, metavar="DIR", help="quality scorer folder (default: shipped)")
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
    from core.settings import Settings
    from models.adaptation.settings import AdaptationSettings
    from models.engines import Backend
    from workers.pipeline.job import ProcessRequest, run_process
    from workers.pipeline.settings import resolve_scorer_dir, resolve_weights_dir

    settings = Settings()  # read now: PETIQ_DENOISER_WEIGHTS, PETIQ_SCORER_WEIGHTS, PETIQ_DEFAULT_STRENGTH
    request = ProcessRequest(
        input_dir=args.directory,
        out_dir=args.out,
        weights_dir=resolve_weights_dir(override=args.weights, settings=settings),
        adapt=AdaptMode(args.adapt),
        split_a=args.split_a,
        split_b=args.split_b,
        save_adapted_model=args.save_adapted_model,
        adaptation=AdaptationSettings(
            phi=args.phi,
            steps=args.adapt_steps,
            max_seconds=args.adapt_seconds,
            seed=args.adapt_seed,
            **_given(
                focus_share=args.adapt_focus_share, focus_weight=args.adapt_focus_weight, rounds=args.adapt_rounds
            ),
        ),
        score=not args.no_score,
        scorer_dir=None if args.no_score else resolve_scorer_dir(override=args.scorer, settings=settings),
        backend=Backend(args.backend),
        ensemble=args.ensemble,
        strength=Strength(args.strength) if args.strength is not None else settings.default_strength,
        uncertainty=args.uncertainty,
    )
    bar = ProgressBar(stream=sys.stderr)
    try:
        result = run_process(request=request, progress=bar.update)
    finally:
        bar.close()
    print(summary_line(result=result, out=args.out))
    return 0


def _given(**options: float | int | None) -> dict[str, Any]:
    """The options given on the command line (None: the setting's shipped default)."""
    return {name: value for name, value in options.items() if value is not None}
