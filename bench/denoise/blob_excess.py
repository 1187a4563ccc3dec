"""Diagnostic: how much of a small hot blob's excess a denoiser keeps, per count level, on training-like patches.

::

    python -m bench.denoise.blob_excess --shards DIR [--weights models/weights/dncnn] [--studies 6]

Reads the first ``--studies`` shards of a ``petiq simulate-shards`` folder (patches the network could have been
trained on: noisy 3-slice inputs and the noise-free target, normalised). In each patch, a "blob" is every voxel
whose noise-free excess over its surroundings ``y − G₃*y`` (Gaussian σ = 3 voxels) is above 0.3 on a background
``G₃*y`` below 1.5, in units of the study's activity scale: small hot structure in soft tissue or lung. Printed per
level, over the patches holding ≥ 4 such voxels:

- the fraction of the blobs' total excess kept, ``Σ (x − G₃*y) / Σ (y − G₃*y)``, for the noisy input's centre
  slice and for the network's output (1 = kept, 0 = flattened to the background);
- the network's mean squared error over the whole patch as a fraction of the noisy input's.

A network that is right on average (the second figure) and still flattens these blobs at the highest count
level is trading them for noise by design of its loss, not failing to learn.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from bench.tables import format_table
from models.bundle import load_bundle_info
from models.engines import open_engine

__all__ = ["blob_mask", "kept_fraction", "main"]

FloatArray = npt.NDArray[np.float32]

EXCESS_MIN = 0.3
BACKGROUND_MAX = 1.5
SIGMA_VOXELS = 3.0


def blob_mask(*, clean: FloatArray) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """The blob voxels of a noise-free ``(h, w)`` patch (normalised units; module docstring) and its background
    ``G₃*y``."""
    background: FloatArray = ndimage.gaussian_filter(clean, SIGMA_VOXELS)
    return (clean - background > EXCESS_MIN) & (background < BACKGROUND_MAX), background


def kept_fraction(*, image: FloatArray, clean: FloatArray) -> float | None:
    """``Σ (image − G₃*y) / Σ (y − G₃*y)`` over the blobs of ``clean`` (both ``(h, w)``), None with < 4 blob voxels."""
    blob, background = blob_mask(clean=clean)
    if blob.sum() < 4:
        return None
    return float((image[blob] - background[blob]).sum()) / float((clean[blob] - background[blob]).sum())


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.denoise.blob_excess", description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=Path, required=True, help="a simulate-shards folder")
    parser.add_argument("--weights", type=Path, default=Path("models/weights/dncnn"), help="the denoiser bundle")
    parser.add_argument("--studies", type=int, default=6, help="shards (studies) read")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the table (module docstring)."""
    args = _parse(argv)
    info = load_bundle_info(directory=args.weights)
    engine = open_engine(info=info)
    kept: dict[float, list[tuple[float, float]]] = {}
    errors: dict[float, list[tuple[float, float]]] = {}
    for path in sorted(args.shards.glob("shard-*.npz"))[: args.studies]:
        with np.load(path, allow_pickle=False) as arrays:
            scale = arrays["scale"].astype(np.float32)
            x = (arrays["inputs"] / scale[:, None, None, None]).astype(np.float32)
            y = (arrays["clean"] / scale[:, None, None]).astype(np.float32)
            levels = arrays["level"].astype(float)
        out = engine.run(x)[:, 0]
        for i, level in enumerate(levels):
            errors.setdefault(level, []).append(
                (float(((out[i] - y[i]) ** 2).mean()), float(((x[i, 1] - y[i]) ** 2).mean()))
            )
            by_input, by_petiq = kept_fraction(image=x[i, 1], clean=y[i]), kept_fraction(image=out[i], clean=y[i])
            if by_input is not None and by_petiq is not None:
                kept.setdefault(level, []).append((by_input, by_petiq))
    rows = []
    for level in sorted(errors):
        blobs = np.asarray(kept.get(level, [(np.nan, np.nan)]))
        mse = np.asarray(errors[level])
        rows.append(
            [
                f"{100 * level:g} %",
                str(len(kept.get(level, []))),
                f"{np.median(blobs[:, 0]):.2f}",
                f"{np.median(blobs[:, 1]):.2f}",
                f"{mse[:, 0].sum() / mse[:, 1].sum():.3f}",
            ]
        )
    print(f"{info.name} {info.version} (sha256 {info.onnx_sha256[:12]}) on {args.shards} ({args.studies} studies)")
    print(
        format_table(
            title="Blob excess kept (median over patches) and MSE as a fraction of the input's",
            header=["level", "patches with blobs", "input keeps", "petiq keeps", "petiq MSE / input MSE"],
            rows=rows,
        )
    )


if __name__ == "__main__":
    main()
