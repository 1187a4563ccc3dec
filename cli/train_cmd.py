"""``petiq train denoiser``: train the 2.5D DnCNN on simulated shards, resumable, optionally in the background.

::

    petiq train denoiser --shards DIR [DIR ...] --out OUT [--width 48] [--depth 8] [--steps 6000] [--batch 32]
        [--lr 1e-3] [--seed 0] [--target clean|full] [--eval-every 250] [--warmup 200] [--weight-decay 0]
        [--sparsity λ --sparsity-target 0.5 --sparsity-ramp N] [--lesion-oversample K] [--lesion-weight μ]
        [--detach]

Rerun the same command to resume from ``OUT/checkpoint.pt``. ``--detach`` starts it in a new session with the
log in ``OUT/train.log`` and returns at once. The finished run leaves a weight bundle (``dncnn.pt``,
``dncnn.onnx``, ``dncnn.json``) in ``OUT`` that ``petiq process --weights OUT`` can use.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.background import detach, stderr_is

__all__ = ["LOG_NAME", "PID_NAME", "register", "run"]

LOG_NAME = "train.log"
PID_NAME = "train.pid"


def register(subparsers: Any) -> None:
    """Add ``train`` (with its ``denoiser`` target) to the ``petiq`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "train", help="train a network (reproduces shipped weights)"
    )
    targets = parser.add_subparsers(dest="network", required=True, metavar="NETWORK")
    denoiser = targets.add_parser("denoiser", help="the 2.5D DnCNN denoiser, on simulate-shards folders")
    denoiser.add_argument("--shards", nargs="+", required=True, metavar="DIR", help="shard folders")
    denoiser.add_argument("--out", required=True, metavar="OUT", help="run folder (config, checkpoint, log, bundle)")
    denoiser.add_argument("--width", type=int, default=48, help="hidden channels (the shipped bundle: 48)")
    denoiser.add_argument("--depth", type=int, default=8, help="conv layers")
    denoiser.add_argument("--steps", type=int, default=6000, help="optimiser steps")
    denoiser.add_argument("--batch", type=int, default=32, help="patches per step")
    denoiser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    denoiser.add_argument("--seed", type=int, default=0, help="seed of weights, batches and augmentation")
    denoiser.add_argument("--target", choices=("clean", "full"), default="clean", help="noise-free or full-count")
    denoiser.add_argument(
        "--contrast-weight", type=float, default=4.0, help="lesion weighting λ of the loss (0: plain MSE)"
    )
    denoiser.add_argument(
        "--level-balance",
        type=float,
        nargs="?",
        const=1.0,
        default=0.0,
        metavar="P",
        help="divide each patch's loss by its input's own error to the power P (0 to 1; alone: 1)",
    )
    denoiser.add_argument("--init", metavar="DIR", help="start from this weight bundle (a fine-tune)")
    denoiser.add_argument(
        "--contrast-relative", action="store_true", help="lesion weighting relative to the surrounding activity"
    )
    denoiser.add_argument(
        "--noise-map", action="store_true", help="give the network its input's noise-level map (one more channel)"
    )
    denoiser.add_argument("--warmup", type=int, default=200, help="learning-rate warm-up steps")
    denoiser.add_argument("--weight-decay", type=float, default=0.0, help="Adam L2 penalty on every weight")
    denoiser.add_argument(
        "--sparsity", type=float, default=0.0, metavar="λ", help="proximal channel-group penalty (0: off)"
    )
    denoiser.add_argument(
        "--sparsity-target", type=float, default=0.5, metavar="F", help="idle share of hidden channels to reach"
    )
    denoiser.add_argument(
        "--sparsity-ramp", type=int, default=0, metavar="N", help="steps for λ to grow to --sparsity (0: half)"
    )
    denoiser.add_argument(
        "--sparsity-select",
        action="store_true",
        help="shrink only each layer's target share of least important channels",
    )
    denoiser.add_argument(
        "--lesion-oversample", type=float, default=1.0, metavar="K", help="draw lesion patches K times as often"
    )
    denoiser.add_argument(
        "--lesion-weight", type=float, default=0.0, metavar="μ", help="lesion mean/peak/max consistency term"
    )
    denoiser.add_argument("--eval-every", type=int, default=250, help="steps between validation and checkpoint")
    denoiser.add_argument("--detach", action="store_true", help="run in the background; progress in OUT/train.log")
    denoiser.set_defaults(func=run)
    _register_scorer(targets)


def _register_scorer(targets: Any) -> None:
    scorer = targets.add_parser("scorer", help="the GQR/PR/DC quality scorer, on simulated observer-labelled studies")
    scorer.add_argument("--out", required=True, metavar="OUT", help="run folder (data cache, log, bundle)")
    scorer.add_argument("--torso", type=int, default=40, help="simulated torso patients")
    scorer.add_argument("--brain", type=int, default=24, help="simulated brain patients")
    scorer.add_argument("--first-seed", type=int, default=5000, help="seed of the first patient")
    scorer.add_argument("--per-plane", type=int, default=100, help="patches per plane and image")
    scorer.add_argument("--pretext-steps", type=int, default=3000, help="stage 1 (count level) steps")
    scorer.add_argument("--score-steps", type=int, default=3000, help="stage 2 (GQR/PR/DC) steps")
    scorer.add_argument("--batch", type=int, default=64, help="patches per step")
    scorer.add_argument("--seed", type=int, default=0, help="seed of weights and batches")
    scorer.add_argument("--detach", action="store_true", help="run in the background; progress in OUT/train.log")
    scorer.set_defaults(func=run_scorer)


def _argv(*, args: argparse.Namespace, shards: list[str], out: Path) -> list[str]:
    argv = ["train", "denoiser", "--shards", *shards, "--out", str(out)]
    for name in _DENOISER_OPTIONS:
        argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    argv += ["--level-balance", str(args.level_balance)] if args.level_balance else []
    argv += ["--init", str(Path(args.init).resolve())] if args.init else []
    flags = (
        ("--contrast-relative", args.contrast_relative),
        ("--noise-map", args.noise_map),
        ("--sparsity-select", args.sparsity_select),
    )
    return argv + [flag for flag, on in flags if on]


_DENOISER_OPTIONS = (
    "width",
    "depth",
    "steps",
    "batch",
    "lr",
    "seed",
    "target",
    "contrast_weight",
    "eval_every",
    "warmup",
    "weight_decay",
    "sparsity",
    "sparsity_target",
    "sparsity_ramp",
    "lesion_oversample",
    "lesion_weight",
)
_SCORER_OPTIONS = ("torso", "brain", "first_seed", "per_plane", "pretext_steps", "score_steps", "batch", "seed")


def _logger(out: Path) -> Any:
    echo = not stderr_is(out / LOG_NAME)

    def log(line: str) -> None:
        with open(out / LOG_NAME, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        if echo:
            print(line, file=sys.stderr, flush=True)

    return log


def run_scorer(args: argparse.Namespace) -> int:
    """Train (or resume) the scorer; with ``--detach`` start it in the background."""
    from models.iqa.run import ScorerTrainConfig, train_scorer

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    options = {name: getattr(args, name) for name in _SCORER_OPTIONS}
    if args.detach:
        argv = ["train", "scorer", "--out", str(out)]
        for name, value in options.items():
            argv += [f"--{name.replace('_', '-')}", str(value)]
        return detach(argv=argv, log_path=out / LOG_NAME, pid_path=out / PID_NAME, label="train scorer")
    info = train_scorer(config=ScorerTrainConfig(**options), out=out, log=_logger(out))
    print(f"scorer in {out} (sha256 {info.sha256[:12]}, calibration: {info.calibration})")
    return 0


def run(args: argparse.Namespace) -> int:
    """Train (or resume) the run; with ``--detach`` start it in the background."""
    from models.training.config import Target, TrainConfig
    from models.training.loop import prepare_run, train_denoiser

    shards = [str(Path(name).resolve()) for name in args.shards]
    out = Path(args.out).resolve()
    options = {name: getattr(args, name) for name in _DENOISER_OPTIONS}
    config = TrainConfig(
        **options | {"target": Target(args.target)},
        shards=tuple(shards),
        level_balance=args.level_balance,
        contrast_relative=args.contrast_relative,
        noise_map=args.noise_map,
        sparsity_select=args.sparsity_select,
        init=str(Path(args.init).resolve()) if args.init else None,
    )
    prepare_run(config=config, out=out)
    if args.detach:
        argv = _argv(args=args, shards=shards, out=out)
        return detach(argv=argv, log_path=out / LOG_NAME, pid_path=out / PID_NAME, label="train denoiser")
    result = train_denoiser(config=config, out=out, log=_logger(out))
    last = result.history[-1] if result.history else {}
    print(f"weights in {out} (val loss {last.get('val_loss', float('nan')):.5f}, device {result.bundle.device_uid})")
    return 0
