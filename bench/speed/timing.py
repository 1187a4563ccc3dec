"""What the denoiser speed benchmarks share: the volume shape, the batch, per-slice timing and the whole-volume
run in a subprocess of its own (so its peak RSS is its own)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.engines import Backend, Engine

__all__ = ["BATCH", "REPO", "SHAPE", "engine_ms", "ms_per_slice", "volume_run"]

SHAPE = (127, 344, 344)
BATCH = 8
REPO = Path(__file__).resolve().parents[2]

_VOLUME_CHILD = """
import json, resource, sys, time
import numpy as np
from pathlib import Path
from models.bundle import load_bundle_info
from models.engines import Backend, open_engine
from models.inference import denoise_volume
ensemble = int(sys.argv[4])
info = load_bundle_info(directory=Path(sys.argv[1]))
engine = open_engine(info=info, backend=Backend(sys.argv[2]))
shape = tuple(int(s) for s in sys.argv[3].split(","))
volume = np.random.default_rng(0).gamma(2.0, 2500.0, size=shape).astype(np.float32)
start = time.perf_counter()
denoise_volume(voxels=volume, engine=engine, batch=8, ensemble=ensemble)
seconds = time.perf_counter() - start
rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({"seconds": seconds, "peak_rss_gb": rss_gb, "engine": f"{engine.name}, ensemble {ensemble}"}))
"""


def ms_per_slice(*, run: Callable[[], object], slices: int, repeats: int) -> float:
    """Milliseconds per slice of ``run`` (which processes ``slices``), after one warm-up call, over ``repeats``."""
    run()  # warm-up: allocations, graph optimisation
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - start) / (repeats * slices) * 1000.0


def engine_ms(*, engine: Engine, batch: np.ndarray, repeats: int) -> float:
    """:func:`ms_per_slice` of ``engine`` on ``batch (n, S, h, w)`` normalised slice stacks."""
    return ms_per_slice(run=lambda: engine.run(batch), slices=len(batch), repeats=repeats)


def volume_run(*, weights: Path, backend: Backend, ensemble: int) -> dict[str, float | str]:
    """Seconds, peak RSS (GB, imports included) and engine of denoising a random :data:`SHAPE` volume with the
    bundle in ``weights``, in a subprocess of its own."""
    shape = ",".join(str(size) for size in SHAPE)
    done = subprocess.run(
        [sys.executable, "-c", _VOLUME_CHILD, str(weights), str(backend), shape, str(ensemble)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    result: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
