"""Benchmark: the TGD paper's experiments on simulation (issue 5, "Experiments"), printed as tables.

Sections (``--only kernel-drop,fine-tuning,online``; all by default):

1. ``kernel-drop`` (paper Fig. 4): for each φ (default 0.3, 0.4, 0.5, 0.6), the percent of the base network's
   kernels and parameters with KSE < φ; those kernels dropped (:func:`models.tgd.drop.drop_kernels`: weight row,
   bias and the following BN γ/β zeroed, so the channel outputs exactly 0, as if pruned), and the change of the
   denoised output on held-out v1 studies (low- and high-BMI torso, brain): PSNR vs the noise-free reference
   before/after, mean |Δ| in percent of the activity scale and of the network's own correction.
2. ``fine-tuning`` (paper Table 1): v1-net (``--base``), v2-net (from scratch on v2 shards written into
   ``--work``; resumable; default 60 studies and 2400 steps of batch 32 ≈ 25 min on 2 CPU cores), FT-net (the
   base's last 3 conv blocks) and TGD-net (φ = 0.3) fine-tuned with equal steps on 7 low-BMI v2 torso studies;
   ensemble lesion bias and liver CoV over R = 10 realisations at one count level (10 %) on held-out v2 torso
   studies of both BMI variants; training seconds of each.
3. ``online``: held-out v1 torso studies with an out-of-distribution catheter / hot bladder, with half-count
   splits: error inside the OOD ROI and liver CoV for the base, TGD-N2N (:func:`adapt_network`, default
   :class:`AdaptationSettings`) and N2N without masks (every kernel and the last conv trainable, the same
   pairs and steps).

Then the targets with PASS/FAIL (none asserted). ``--quick``: tiny grids, R = 2, a few steps, tiny v2 shards
(for tests; its numbers mean nothing). Before running, a plan with the estimated minutes of every piece, timed
on this machine. ``--json PATH`` writes every number.

Run: ``.venv/bin/python -m bench.tgd.experiments --base DIR --work DIR [--only ...] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch

from bench.checks import TargetCheck
from bench.tgd.cases import QUICK_GRIDS, evaluation_cases, finetune_cases, kernel_drop_cases, online_cases
from bench.tgd.plan import Workload, estimate_plan, measure_units
from bench.tgd.sections import Config, run_fine_tuning, run_kernel_drop, run_online
from bench.tgd.tables import checks_table, fine_tuning_tables, kernel_drop_table, online_table, plan_table
from bench.tgd.targets import target_summary
from bench.tgd.training import QUICK_LEVELS, TIMING_NAME, V2NetSpec, v2_progress
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms.torso import DEFAULT_SHAPE
from imaging.simulation.shards import DEFAULT_SHARD_LEVELS
from models.adaptation.online import AdaptationSettings
from models.bundle import BundleInfo, load_adaptable_model, load_bundle_info
from models.device import torch_device
from models.dncnn import DnCNN

SECTIONS = ("kernel-drop", "fine-tuning", "online")
QUICK_ADAPTATION = AdaptationSettings(steps=3, batch=2, patch=24)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def _sections(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(set(chosen) - set(SECTIONS))
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(f"sections are {', '.join(SECTIONS)}; got {text!r}")
    return tuple(name for name in SECTIONS if name in chosen)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=Path("models/weights/dncnn"), help="the v1-net bundle folder")
    parser.add_argument(
        "--work", type=Path, default=None, help="cache of v2 shards and v2-net (default /tmp/petiq-tgd-work[-quick])"
    )
    parser.add_argument("--only", type=_sections, default=SECTIONS, help="comma-separated sections")
    parser.add_argument("--quick", action="store_true", help="tiny grids and steps: a smoke run")
    parser.add_argument("--json", type=Path, default=None, help="write every number to this file")
    parser.add_argument("--level", type=float, default=0.1, help="count level of every evaluation (0.1 = 10 %%)")
    parser.add_argument("--realisations", type=int, default=None, help="noise realisations R (default 10; quick 2)")
    parser.add_argument("--studies", type=int, default=1, help="held-out studies of each type")
    parser.add_argument("--phis", type=_floats, default=(0.3, 0.4, 0.5, 0.6), help="kernel-drop thresholds")
    parser.add_argument("--phi", type=float, default=0.3, help="TGD threshold of TGD-net")
    parser.add_argument(
        "--exclude-last", action="store_true", help="kernel drop: leave out the kernels the last conv's KSE ranks"
    )
    parser.add_argument("--ft-studies", type=int, default=None, help="FT/TGD training studies (default 7; quick 2)")
    parser.add_argument("--ft-steps", type=int, default=None, help="FT-net and TGD-net steps (default 500; quick 3)")
    parser.add_argument("--ft-lr", type=float, default=2e-4, help="FT-net and TGD-net Adam learning rate")
    parser.add_argument("--v2-studies", type=int, default=None, help="v2-net shard studies (default 60; quick 3)")
    parser.add_argument("--v2-steps", type=int, default=None, help="v2-net training steps (default 2400; quick 4)")
    parser.add_argument("--adapt-steps", type=int, default=None, help="online adaptation steps (default: settings')")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: every core)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the FT/TGD batch draws")
    parser.add_argument("--plan-only", action="store_true", help="print the plan (timed on this machine) and stop")
    return parser


def _pick(value: int | None, full: int, quick: int, is_quick: bool) -> int:
    return value if value is not None else (quick if is_quick else full)


def parse_config(argv: Sequence[str] | None, *, base: DnCNN | None = None) -> Config:
    """The run's settings from the command line (``base``: the loaded network, for the v2-net's architecture)."""
    parser = _parser()
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    realisations = _pick(args.realisations, 10, 2, quick)
    if realisations < 2 or args.studies < 1 or not 0 < args.level <= 1:
        parser.error("--realisations should be ≥ 2 (ensemble figures), --studies ≥ 1 and 0 < --level ≤ 1")
    adaptation = QUICK_ADAPTATION if quick else AdaptationSettings()
    if args.adapt_steps is not None:
        adaptation = replace(adaptation, steps=args.adapt_steps)
    return Config(
        base=args.base,
        work=args.work or Path("/tmp/petiq-tgd-work" + ("-quick" if quick else "")),
        sections=args.only,
        quick=quick,
        json_path=args.json,
        level=args.level,
        realisations=realisations,
        studies=args.studies,
        phis=tuple(sorted(args.phis)),
        phi=args.phi,
        ft_studies=_pick(args.ft_studies, 7, 2, quick),
        ft_steps=_pick(args.ft_steps, 500, 3, quick),
        ft_batch=4 if quick else 32,
        ft_lr=args.ft_lr,
        v2=V2NetSpec(
            studies=_pick(args.v2_studies, 60, 3, quick),
            steps=_pick(args.v2_steps, 2400, 4, quick),
            width=base.config.width if base is not None else 32,
            depth=base.config.depth if base is not None else 8,
            noise_map=base.config.noise_map if base is not None else False,
            quick=quick,
        ),
        adaptation=adaptation,
        seed=args.seed,
        exclude_last=bool(args.exclude_last),
    )


def workload(*, config: Config) -> Workload:
    """What the selected sections of ``config`` will do, with the v2-net's finished parts taken off."""
    chosen = set(config.sections)
    shards, steps = 0, 0
    if "fine-tuning" in chosen and not (config.work / "v2-net" / TIMING_NAME).exists():
        written, done = v2_progress(work=config.work, spec=config.v2)
        shards, steps = config.v2.studies - written, max(0, config.v2.steps - done)
    slices = QUICK_GRIDS[PhantomKind.TORSO][0][0] if config.quick else DEFAULT_SHAPE[0]
    ft = "fine-tuning" in chosen
    online = "online" in chosen
    return Workload(
        drop_studies=len(kernel_drop_cases(studies=config.studies)) if "kernel-drop" in chosen else 0,
        drop_networks=len(config.phis) + config.v2.depth - 1,  # every φ, and each layer alone at TGD's φ
        v2_shards=shards,
        v2_steps=steps,
        shard_levels=len(QUICK_LEVELS if config.quick else DEFAULT_SHARD_LEVELS),
        ft_studies=len(finetune_cases(count=config.ft_studies)) if ft else 0,
        ft_steps=config.ft_steps if ft else 0,
        eval_studies=len(evaluation_cases(studies=config.studies)) if ft else 0,
        eval_realisations=config.realisations,
        eval_networks=4,
        online_studies=len(online_cases()) if online else 0,
        online_realisations=config.realisations,
        adapt_steps=config.adaptation.steps,
        slices=slices,
    )


def _plan(*, config: Config, base: DnCNN) -> str:
    """Time the unit pieces on this machine and format the plan."""
    case = evaluation_cases(studies=1)[0]
    units = measure_units(
        base=base,
        case=case,
        quick=config.quick,
        train_batch=config.ft_batch,
        train_patch=32 if config.quick else 64,
        adapt_batch=config.adaptation.batch,
        adapt_patch=config.adaptation.patch,
    )
    items = estimate_plan(work=workload(config=config), units=units)
    measured = ", ".join(f"{key} {value:.3f}" for key, value in asdict(units).items())
    return (
        plan_table(items=items)
        + f"\n\nMeasured unit times (s): {measured}.\nNot counted: metrics, KSE, batch drawing of the v2-net, file "
        "I/O (smoke runs took 10–25 % longer than planned)."
    )


def _base_note(info: BundleInfo) -> str:
    training = info.metadata.get("training", {})
    steps, batch = training.get("steps"), training.get("batch")
    shards = ", ".join(Path(name).name for name in training.get("shards", []))
    trained = f"{steps} steps × batch {batch} on {shards}" if steps else "training record absent"
    init = info.metadata.get("init_sha256")
    trained += f", fine-tuned from the network with ONNX sha256 {init[:12]}…" if init else ""
    return f"the base {info.name} {info.version} ({trained}); training seconds not recorded in the bundle"


def _log(line: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def _clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def run(*, config: Config, base: DnCNN, info: BundleInfo, device: torch.device) -> dict[str, Any]:
    """Run the selected sections, printing each table as it is done; every result and the wall times."""
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    checks: list[TargetCheck] = []
    for section in config.sections:
        start = time.perf_counter()
        if section == "kernel-drop":
            drop = run_kernel_drop(config=config, base=base, device=device, log=_log)
            print("\n" + kernel_drop_table(result=drop), flush=True)
            results[section] = drop
        elif section == "fine-tuning":
            tuned = run_fine_tuning(config=config, base=base, base_note=_base_note(info), device=device, log=_log)
            print("\n" + "\n\n".join(fine_tuning_tables(result=tuned)), flush=True)
            results[section], checks = tuned, [*checks, *tuned.checks]
        else:
            online = run_online(config=config, base=base, device=device, log=_log)
            print("\n" + online_table(result=online), flush=True)
            results[section], checks = online, [*checks, *online.checks]
        seconds[section] = time.perf_counter() - start
    if checks:
        print("\n" + checks_table(checks=checks) + "\n\nTargets:\n" + "\n".join(target_summary(checks=checks)))
    return {"results": {name: asdict(value) for name, value in results.items()}, "seconds": seconds}


def main(argv: Sequence[str] | None = None) -> None:
    """Run the experiments (module docstring)."""
    args = _parser().parse_args(argv)
    device = torch_device()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    info = load_bundle_info(directory=args.base)
    base = load_adaptable_model(info=info, device=device)  # a pruned bundle: the full sparse network TGD adapts
    config = parse_config(argv, base=base)
    print(
        f"TGD experiments: base {info.name} {info.version} ({config.base}); sections {', '.join(config.sections)}; "
        f"level {config.level:g}; R = {config.realisations}; work {config.work}{'; QUICK' if config.quick else ''}"
        + (
            "; kernel drop with the last conv's ranking excluded (conv depth − 2 never dropped)"
            if config.exclude_last
            else ""
        )
    )
    print("\n" + _plan(config=config, base=base.cpu()), flush=True)
    if args.plan_only:
        return
    base = base.to(device)
    start = time.perf_counter()
    document = run(config=config, base=base, info=info, device=device)
    print(
        f"\nWall time (s): {', '.join(f'{k} {v:.0f}' for k, v in document['seconds'].items())}; "
        f"total {time.perf_counter() - start:.0f}"
    )
    if config.json_path is not None:
        document["config"] = asdict(config)
        document["base"] = {"name": info.name, "version": info.version, "onnx_sha256": info.onnx_sha256}
        config.json_path.write_text(json.dumps(_clean(document), indent=1, default=str))
        print(f"numbers written to {config.json_path}")


if __name__ == "__main__":
    main()
