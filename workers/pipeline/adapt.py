"""Stage ``adapt``: per-study TGD-N2N adaptation of the denoiser (DESIGN.md §4 "TGD-N2N").

Modes (``--adapt``):

- ``n2n-split``: the scanner's two half-count reconstructions A and B of the same acquisition train the
  network A→B and B→A (independent noise: true Noise2Noise); both are required.
- ``single``: one series only: Neighbor2Neighbor sub-sampling pairs. Reconstructed noise is spatially
  correlated, so this is an approximation, and the result says so.
- ``auto``: ``n2n-split`` when both splits are given, otherwise no adaptation; ``off``: no adaptation.

The splits must lie on the input's grid (shape, spacing, orientation, slice positions within 0.01 mm). The
adapted network is written as a new weight bundle (its own sha256, hence a new DeviceUID) in a working folder,
with the base bundle's strength levels (its output is blended with the input by the same weights); the rest of
the job uses it like any bundle.

With splits, the adaptation focuses where the base network disagrees with them beyond their noise when the
settings ask for it (``focus_share``, ``focus_weight``: :mod:`models.adaptation.focus`); the map's summary is the
section's ``focus``. TGDⁿ (``rounds``) re-scores the masks on the adapted network; each round is in ``rounds``.

torch is imported only when an adaptation runs (:func:`adapt_denoiser`); choosing the mode and reading the splits
do not load it. ``auto`` without splits and ``off`` never adapt, so they never load torch here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.adapt import AdaptMode, check_split_pair, split_pair_needed
from imaging.dicom.reader import read_pet_series
from imaging.errors import InputError
from imaging.volume import PetVolume
from models.adaptation.settings import AdaptationSettings
from models.bundle_info import BundleInfo

__all__ = ["SINGLE_APPROXIMATION", "Adapted", "adapt_denoiser", "effective_mode", "load_splits"]

SINGLE_APPROXIMATION = (
    "single-series adaptation (Neighbor2Neighbor sub-sampling) is an approximation: the noise of one "
    "reconstructed image is spatially correlated, so its sub-sampled pairs are not independent"
)
_POSITION_TOLERANCE_MM = 0.01


@dataclass(frozen=True, kw_only=True)
class Adapted:
    """The adapted bundle and the ``adaptation`` section of result.json."""

    bundle: BundleInfo
    section: dict[str, Any]


def effective_mode(*, mode: AdaptMode, split_a: Path | None, split_b: Path | None) -> AdaptMode | None:
    """The adaptation that will run (``N2N_SPLIT``, ``SINGLE``) or None; InputError for half a split pair
    (check ``splits``) or ``n2n-split`` without it (check ``adapt_splits``): :func:`core.adapt.check_split_pair`."""
    given = check_split_pair(mode=mode, split_a=split_a, split_b=split_b)
    if mode is AdaptMode.AUTO:
        return AdaptMode.N2N_SPLIT if given else None
    return None if mode is AdaptMode.OFF else mode


def _check_same_grid(*, split: PetVolume, reference: PetVolume, name: str) -> None:
    ours, theirs = reference.geometry, split.geometry
    same = (
        split.shape == reference.shape
        and np.allclose(theirs.spacing_mm, ours.spacing_mm, atol=_POSITION_TOLERANCE_MM)
        and np.allclose(theirs.image_orientation, ours.image_orientation, atol=1e-4)
        and np.allclose(theirs.origin_mm, ours.origin_mm, atol=_POSITION_TOLERANCE_MM)
        and np.allclose(theirs.slice_positions_mm, ours.slice_positions_mm, atol=_POSITION_TOLERANCE_MM)
    )
    if not same:
        raise InputError(
            f"Argument '{name}' is not on the input series' grid (shape {split.shape} vs {reference.shape}, or "
            "spacing, orientation or slice positions differ): it cannot be a split of the same acquisition.",
            check="split_geometry",
            uid=split.uids.series_uid,
        )


def load_splits(*, split_a: Path, split_b: Path, reference: PetVolume) -> tuple[PetVolume, PetVolume]:
    """Read both half-count series and check they lie on ``reference``'s grid (InputError naming the split)."""
    volumes = []
    for name, folder in (("split-a", split_a), ("split-b", split_b)):
        volume = read_pet_series(source=Path(folder)).volume
        _check_same_grid(split=volume, reference=reference, name=name)
        volumes.append(volume)
    return volumes[0], volumes[1]


def adapt_denoiser(
    *,
    bundle: BundleInfo,
    mode: AdaptMode,
    volume: PetVolume,
    splits: tuple[PetVolume, PetVolume] | None,
    settings: AdaptationSettings,
    workdir: Path,
) -> Adapted:
    """Adapt ``bundle``'s network to this study (``mode`` N2N_SPLIT with ``splits``, or SINGLE on ``volume``)."""
    from models.adaptation.focus import base_output, focus_excess
    from models.adaptation.online import adapt_network
    from models.adaptation.pairs import split_batches, subsample_batches
    from models.bundle import load_adaptable_model, save_bundle
    from models.device import torch_device

    rng = np.random.default_rng(settings.seed)
    base = load_adaptable_model(info=bundle, device=torch_device())
    focus = None
    if mode is AdaptMode.N2N_SPLIT:
        if splits is None:
            raise split_pair_needed()
        a, b = splits[0].voxels, splits[1].voxels
        if settings.focused:
            focus = focus_excess(a=a, b=b, base=base_output(model=base, a=a, b=b))
        batches = split_batches(
            a=a,
            b=b,
            patch=settings.patch,
            batch=settings.batch,
            rng=rng,
            hot_share=settings.hot_share,
            focus=None if focus is None else focus.excess,
            focus_share=settings.focus_share,
            focus_weight=settings.focus_weight,
        )
    else:
        batches = subsample_batches(volume=volume.voxels, patch=settings.patch // 2, batch=settings.batch, rng=rng)
    model, report = adapt_network(base=base, batches=batches, settings=settings)
    approximation = SINGLE_APPROXIMATION if mode is AdaptMode.SINGLE else None
    section = report.to_json(mode=str(mode), approximation=approximation)
    section["focus"] = None if focus is None else focus.summary()
    base_identity = {
        "name": bundle.name,
        "version": bundle.version,
        "sha256": bundle.onnx_sha256,
        "device_uid": bundle.device_uid,
    }
    adapted = save_bundle(
        model=model.cpu(),
        directory=workdir / "adapted",
        name=bundle.name,
        version=f"{bundle.version}+tgd-{mode}",
        extra={"adapted_from": base_identity, "adaptation": section},
        strengths=bundle.strengths,
    )
    return Adapted(bundle=adapted, section=section | {"base": base_identity})
