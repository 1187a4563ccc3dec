"""One noise realisation of one phantom: acquire at several dose levels, split, reconstruct.

Draw order from ``rng`` (recorded so a seed reproduces the data): the full-count Poisson prompts, then the nested
thinning from the highest level down, then the half-count splits in the same level order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.simulation.acquisition import (
    DEFAULT_LEVELS,
    ScannerModel,
    expected_data,
    sample_prompts,
    split_counts,
    thin_nested,
)
from imaging.simulation.phantom import Phantom
from imaging.simulation.protocols import ReconProtocol
from imaging.simulation.recon import reconstruct

__all__ = ["Reconstructions", "acquire_and_reconstruct"]

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class Reconstructions:
    """Reconstructed images of one realisation, all ``(z, y, x) float32`` Bq/ml, post-filtered.

    Attributes:
        protocol: the reconstruction protocol used for every image.
        noise_free: OSEM of the expected full-count prompts (the noise-free reference).
        levels: ``{dose fraction: image}``.
        split_a: ``{dose fraction: image of half A}`` (empty without splits).
        split_b: ``{dose fraction: image of half B}``, independent of A.
    """

    protocol: ReconProtocol
    noise_free: FloatArray
    levels: Mapping[float, FloatArray]
    split_a: Mapping[float, FloatArray]
    split_b: Mapping[float, FloatArray]


def acquire_and_reconstruct(
    *,
    phantom: Phantom,
    protocol: ReconProtocol,
    rng: np.random.Generator,
    levels: Sequence[float] = DEFAULT_LEVELS,
    split: bool = True,
    scanner: ScannerModel | None = None,
) -> Reconstructions:
    """Simulate ``phantom`` at each dose fraction in ``levels`` (nested thinning), optionally with two
    independent half-count splits of every level, and reconstruct everything with ``protocol``."""
    expected = expected_data(phantom=phantom, scanner=scanner)
    full = sample_prompts(expected=expected.prompts, rng=rng)
    by_level = thin_nested(counts=full, levels=levels, rng=rng)
    images = {
        level: reconstruct(prompts=c, expected=expected, fraction=level, protocol=protocol)
        for level, c in by_level.items()
    }
    split_a: dict[float, FloatArray] = {}
    split_b: dict[float, FloatArray] = {}
    for level, counts in by_level.items() if split else ():
        half_a, half_b = split_counts(counts=counts, rng=rng)
        split_a[level] = reconstruct(prompts=half_a, expected=expected, fraction=level / 2, protocol=protocol)
        split_b[level] = reconstruct(prompts=half_b, expected=expected, fraction=level / 2, protocol=protocol)
    noise_free = reconstruct(prompts=expected.prompts, expected=expected, fraction=1.0, protocol=protocol)
    return Reconstructions(protocol, noise_free, images, split_a, split_b)
