"""Benchmark: denoiser speed and memory on the CPU, every ratio measured in one run.

1. ms per 344×344 slice (batches of 8 given to each engine): onnxruntime, torch eager as the torch engine runs
   it (one stack per call on the CPU, its fastest there), torch eager with all 8 in one call (slower on the CPU:
   shown so the two can be compared), and scikit-image's non-local means (2D, fast mode, 5×5 patches, 13×13
   search) on the same slices. The target's ratio is onnxruntime against the torch engine: each at its best;
2. seconds and peak RSS to denoise a whole 344×344×127 volume with ``models.inference.denoise_volume``, each
   engine in its own subprocess (peak RSS of that process, imports included): both engines with one pass per
   slice, and onnxruntime with the product's self-ensemble (``DEFAULT_ENSEMBLE`` orientations averaged), which is
   what the volume targets are checked on;
3. ``--widths`` adds the per-slice time of untrained networks of other widths (speed does not depend on the
   weights' values), which is how the default width was chosen.

Targets (issue "Denoiser"): onnxruntime ≥ 2.5× torch eager; a volume in ≤ 60 s with peak RSS ≤ 3 GB.
Run: ``.venv/bin/python -m bench.speed.denoise [--weights models/weights/dncnn] [--widths 16,32,48,64]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

import numpy as np
import torch

from bench.speed.timing import BATCH, REPO, SHAPE, engine_ms, ms_per_slice, volume_run
from models.bundle import load_bundle_info, save_bundle
from models.device import cpu_threads
from models.dncnn import DnCNN, DnCNNConfig
from models.engines import Backend, TorchEngine, open_engine
from models.inference import DEFAULT_ENSEMBLE

TARGET_RATIO, TARGET_S, TARGET_RSS_GB = 2.5, 60.0, 3.0


def _torch_batched_ms(*, engine: TorchEngine, batch: np.ndarray, repeats: int) -> float:
    """torch eager with all of ``batch`` in one forward call (what the torch engine did on the CPU before it went
    one stack at a time, :data:`models.engines.CPU_SLICES_PER_CALL`)."""
    model = engine.model
    tensor = torch.from_numpy(batch)

    def run() -> object:
        with torch.inference_mode():
            return model(tensor)

    return ms_per_slice(run=run, slices=len(batch), repeats=repeats)


def _nlm_ms(*, batch: np.ndarray) -> float:
    from skimage.restoration import denoise_nl_means

    image = batch[0, 1]
    sigma = float(np.std(np.diff(image, axis=1))) / np.sqrt(2.0)  # noise σ from neighbour differences
    return ms_per_slice(
        run=lambda: denoise_nl_means(image, h=0.8 * sigma, sigma=sigma, patch_size=5, patch_distance=6, fast_mode=True),
        slices=1,
        repeats=3,
    )


def _width_rows(*, widths: list[int], batch: np.ndarray, repeats: int) -> list[tuple[int, float, float]]:
    rows = []
    for width in widths:
        with tempfile.TemporaryDirectory() as folder:
            info = save_bundle(
                model=DnCNN(config=DnCNNConfig(width=width)).eval(),
                directory=Path(folder),
                name="speed",
                version="random",
                extra={},
            )
            ms = engine_ms(engine=open_engine(info=info, backend=Backend.ONNXRUNTIME), batch=batch, repeats=repeats)
        rows.append((width, ms, ms * SHAPE[0] / 1000.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, default=REPO / "models" / "weights" / "dncnn")
    parser.add_argument("--widths", default="", help="comma-separated widths to time untrained (e.g. 16,32,48,64)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    info = load_bundle_info(directory=args.weights)
    batch = np.random.default_rng(1).gamma(2.0, 0.5, size=(BATCH, 3, SHAPE[1], SHAPE[2])).astype(np.float32)
    ort_engine = open_engine(info=info, backend=Backend.ONNXRUNTIME)
    torch_engine = open_engine(info=info, backend=Backend.TORCH)
    ort_ms = engine_ms(engine=ort_engine, batch=batch, repeats=args.repeats)
    torch_ms = engine_ms(engine=torch_engine, batch=batch, repeats=args.repeats)
    if not isinstance(torch_engine, TorchEngine):
        raise SystemExit(f"the torch backend gave a {type(torch_engine).__name__}")
    torch_batched_ms = _torch_batched_ms(engine=torch_engine, batch=batch, repeats=args.repeats)
    nlm_ms = _nlm_ms(batch=batch)

    print(f"weights: {info.name} {info.version} (width {info.config.width}); threads: {cpu_threads()}")
    print(f"{'per 344x344 slice':<34} {'ms':>8} {'vs onnxruntime':>15}")
    rows = (
        (ort_engine.name, ort_ms),
        (torch_engine.name + " eager (engine)", torch_ms),
        (f"torch eager, {BATCH} per call", torch_batched_ms),
        ("non-local means", nlm_ms),
    )
    for name, ms in rows:
        print(f"{name:<34} {ms:8.1f} {ms / ort_ms:14.2f}x")

    print(f"\n{'whole 344x344x127 volume':<34} {'s':>8} {'peak RSS GB':>12}")
    runs = ((Backend.ONNXRUNTIME, 1), (Backend.TORCH, 1), (Backend.ONNXRUNTIME, DEFAULT_ENSEMBLE))
    volume = [volume_run(weights=args.weights, backend=b, ensemble=n) for b, n in runs]
    for result in volume:
        print(f"{result['engine']!s:<34} {float(result['seconds']):8.1f} {float(result['peak_rss_gb']):12.2f}")
    ort_volume = volume[-1]

    if args.widths:
        print(f"\n{'untrained width (onnxruntime)':<34} {'ms/slice':>8} {'s/volume':>12}")
        widths = [int(w) for w in args.widths.split(",")]
        for width, ms, seconds in _width_rows(widths=widths, batch=batch, repeats=args.repeats):
            print(f"{width:<34} {ms:8.1f} {seconds:12.1f}")

    ratio = torch_ms / ort_ms
    print("\ntargets")
    print(
        f"onnxruntime / torch eager speed-up {ratio:.2f}x (target ≥ {TARGET_RATIO}x): "
        f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
    )
    seconds, rss = float(ort_volume["seconds"]), float(ort_volume["peak_rss_gb"])
    print(
        f"volume, ensemble {DEFAULT_ENSEMBLE}: {seconds:.1f} s "
        f"(target ≤ {TARGET_S:.0f} s, ratio {seconds / TARGET_S:.2f}): "
        f"{'PASS' if seconds <= TARGET_S else 'FAIL'}"
    )
    print(f"peak RSS {rss:.2f} GB (target ≤ {TARGET_RSS_GB:.0f} GB): {'PASS' if rss <= TARGET_RSS_GB else 'FAIL'}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"(this script's own peak RSS: {own:.2f} GB)")


if __name__ == "__main__":
    main()
