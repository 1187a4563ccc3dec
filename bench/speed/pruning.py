"""Benchmark: a pruned bundle against the full sparse network it was cut from, on the same engines, in one run.

For a bundle that ships ``dncnn-sparse.pt`` (a sparse-trained, pruned denoiser, :mod:`models.pruning`):

1. the per-layer widths (full → pruned) and the share of conv parameters removed;
2. ms per 344×344 slice (batches of 8) of the pruned and the full network on onnxruntime and on the torch engine,
   and the ratio full / pruned on each (target ≥ 1.7×);
3. the outputs: PSNR of each against the noise-free reference on a held-out simulated torso at 10 % counts (one
   pass per slice), the difference in dB (target ≤ 0.05 dB) and the max |pruned − full| in % of the activity
   scale;
4. seconds to denoise a whole 344×344×127 volume with the product's default self-ensemble, each in its own
   subprocess (target ≤ 30 s on 2 cores).

Run: ``.venv/bin/python -m bench.speed.pruning [--weights models/weights/dncnn] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from bench.speed.timing import BATCH, REPO, SHAPE, engine_ms, volume_run
from bench.tables import format_table
from imaging.metrics.fidelity import psnr
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.study import StudyRequest, simulate_study
from models.bundle import load_adaptable_model, load_bundle_info, load_torch_model, save_bundle
from models.channels import conv_at
from models.dncnn import DnCNN
from models.engines import Backend, open_engine
from models.inference import DEFAULT_ENSEMBLE, denoise_volume

TARGET_SPEEDUP, TARGET_DB, TARGET_VOLUME_S = 1.7, 0.05, 30.0
HELD_OUT_SEED = 90001


def _conv_parameters(model: DnCNN) -> int:
    return sum(conv_at(model, index).weight.numel() for index in range(len(model.convs)))


def _held_out() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    phantom = make_phantom(kind=PhantomKind.TORSO, seed=HELD_OUT_SEED, variant="low_bmi")
    request = StudyRequest(kind=PhantomKind.TORSO, seed=HELD_OUT_SEED, levels=(0.1,), realizations=1, variant="low_bmi")
    study = simulate_study(request=request, phantom=phantom)
    noisy = next(series.volume.voxels for series in study.series if series.split is None)
    return noisy, study.reference, study.phantom.masks["body"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, default=REPO / "models" / "weights" / "dncnn")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-volume", action="store_true", help="skip the whole-volume timings")
    args = parser.parse_args()
    info = load_bundle_info(directory=args.weights)
    if info.sparse_path is None:
        raise SystemExit(f"{args.weights} ships no sparse network (dncnn-sparse.pt): not a pruned bundle.")
    cpu = torch.device("cpu")
    full, pruned = load_adaptable_model(info=info, device=cpu), load_torch_model(info=info, device=cpu)
    removed = 1.0 - _conv_parameters(pruned) / _conv_parameters(full)
    print(f"Pruning benchmark: {info.name} {info.version} ({args.weights})\n")
    print(f"hidden widths: full {list(full.config.hidden_widths)} → pruned {list(pruned.config.hidden_widths)}")
    print(f"conv parameters removed: {100 * removed:.1f} %\n")
    batch = np.random.default_rng(0).gamma(2.0, 0.5, size=(BATCH, 3, *SHAPE[1:])).astype(np.float32)
    noisy, reference, body = _held_out()
    with tempfile.TemporaryDirectory() as folder:
        full_info = save_bundle(model=full, directory=Path(folder), name=info.name, version="full", extra={})
        rows, outputs = [], {}
        for backend in (Backend.ONNXRUNTIME, Backend.TORCH):
            ms = {
                name: engine_ms(engine=open_engine(info=bundle, backend=backend), batch=batch, repeats=args.repeats)
                for name, bundle in (("full", full_info), ("pruned", info))
            }
            rows.append([str(backend), f"{ms['full']:.1f}", f"{ms['pruned']:.1f}", f"{ms['full'] / ms['pruned']:.2f}×"])
        for name, bundle in (("full", full_info), ("pruned", info)):
            engine = open_engine(info=bundle, backend=Backend.ONNXRUNTIME)
            outputs[name] = denoise_volume(voxels=noisy, engine=engine, ensemble=1).voxels
        volume_rows = []
        if not args.no_volume:
            for name, weights in (("full", Path(folder)), ("pruned", args.weights)):
                run = volume_run(weights=weights, backend=Backend.ONNXRUNTIME, ensemble=DEFAULT_ENSEMBLE)
                volume_rows.append([name, str(run["engine"]), f"{float(run['seconds']):.1f}"])
    print(format_table(title="ms per 344×344 slice", header=["engine", "full", "pruned", "speed-up"], rows=rows))
    scores = {name: psnr(image=out, reference=reference, mask=body) for name, out in outputs.items()}
    scale = float(np.percentile(noisy[body], 99))
    worst = float(np.max(np.abs(outputs["pruned"] - outputs["full"]))) / scale * 100
    print(
        f"\nheld-out low-BMI torso (seed {HELD_OUT_SEED}) at 10 %, one pass: PSNR full {scores['full']:.3f} dB, "
        f"pruned {scores['pruned']:.3f} dB (Δ {scores['pruned'] - scores['full']:+.4f} dB); "
        f"max |pruned − full| {worst:.2e} % of the 99th percentile"
    )
    if volume_rows:
        title = f"\nwhole {SHAPE[0]}×{SHAPE[1]}×{SHAPE[2]} volume"
        print(format_table(title=title, header=["network", "engine", "seconds"], rows=volume_rows, left=(0, 1)))
    speedup = float(rows[0][3].rstrip("×"))
    print("\nTargets:")
    verdict = "PASS" if speedup >= TARGET_SPEEDUP else "FAIL"
    print(f"- onnxruntime full / pruned ≥ {TARGET_SPEEDUP}×: {speedup:.2f}× {verdict}")
    delta = abs(scores["pruned"] - scores["full"])
    print(f"- |ΔPSNR| ≤ {TARGET_DB} dB: {delta:.4f} {'PASS' if delta <= TARGET_DB else 'FAIL'}")
    if volume_rows:
        seconds = float(volume_rows[1][2])
        verdict = "PASS" if seconds <= TARGET_VOLUME_S else "FAIL"
        print(f"- pruned volume ≤ {TARGET_VOLUME_S:.0f} s: {seconds:.1f} s {verdict}")


if __name__ == "__main__":
    main()
