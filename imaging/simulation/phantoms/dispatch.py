"""One entry point for every phantom family: :func:`make_phantom`."""

from __future__ import annotations

from collections.abc import Collection

from imaging.errors import InputError
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms import brain, nema, torso
from imaging.simulation.phantoms.hypometabolism import HYPOMETABOLISM_PATTERNS
from imaging.simulation.phantoms.shapes import Vec3

__all__ = ["make_phantom"]


def make_phantom(
    *,
    kind: PhantomKind,
    seed: int,
    variant: str | None = None,
    ood: Collection[str] = (),
    shape: tuple[int, int, int] | None = None,
    spacing_mm: Vec3 | None = None,
    n_lesions: tuple[int, int] | None = None,
    lesion_hosts: tuple[str, ...] | None = None,
    lesion_diameter_mm: tuple[float, float] | None = None,
) -> Phantom:
    """Draw a phantom of ``kind`` from ``seed``.

    Args:
        kind: brain, torso or NEMA.
        seed: the random seed (recorded).
        variant: brain: ``None``/``"normal"`` or a hypometabolism pattern (``"ad"``, ``"ftd"``, ``"unilateral"``);
            torso: ``"low_bmi"``/``"high_bmi"`` (``None``: low for even seeds, high for odd); NEMA: ``None``.
        ood: out-of-distribution features, torso only: ``"catheter"``, ``"bladder"``.
        shape: ``(z, y, x)`` voxels; ``None`` for the family's default.
        spacing_mm: ``(z, y, x)`` voxel size, mm; ``None`` for the family's default.
        n_lesions: torso only: inclusive (min, max) number of hot lesions drawn; ``None`` for the torso's default.
        lesion_hosts, lesion_diameter_mm: torso only: where lesions sit and how large they are (None: default).
    """
    if ood and kind is not PhantomKind.TORSO:
        raise InputError(
            f"Argument 'ood' is supported for torso phantoms only, got {sorted(ood)} for {kind}.", check="phantom_ood"
        )
    lesion_settings = (n_lesions, lesion_hosts, lesion_diameter_mm)
    if any(setting is not None for setting in lesion_settings) and kind is not PhantomKind.TORSO:
        raise InputError(
            f"Lesion settings are supported for torso phantoms only, got {lesion_settings} for {kind}.",
            check="phantom_lesions",
        )
    if kind is PhantomKind.BRAIN:
        pattern = None if variant in (None, "normal") else variant
        if pattern is not None and pattern not in HYPOMETABOLISM_PATTERNS:
            raise InputError(
                f"Argument 'variant' should be 'normal' or one of {HYPOMETABOLISM_PATTERNS} for a "
                f"brain, got {variant!r}.",
                check="phantom_variant",
            )
        return brain.make_brain_phantom(
            seed=seed,
            hypometabolism=pattern,
            shape=shape or brain.DEFAULT_SHAPE,
            spacing_mm=spacing_mm or brain.DEFAULT_SPACING_MM,
        )
    if kind is PhantomKind.TORSO:
        chosen = variant if variant is not None else torso.TORSO_VARIANTS[seed % len(torso.TORSO_VARIANTS)]
        return torso.make_torso_phantom(
            seed=seed,
            variant=chosen,
            ood=ood,
            n_lesions=n_lesions or torso.DEFAULT_N_LESIONS,
            lesion_hosts=lesion_hosts,
            lesion_diameter_mm=lesion_diameter_mm,
            shape=shape or torso.DEFAULT_SHAPE,
            spacing_mm=spacing_mm or torso.DEFAULT_SPACING_MM,
        )
    if variant is not None:
        raise InputError(
            f"Argument 'variant' should be None for a NEMA phantom, got {variant!r}.", check="phantom_variant"
        )
    return nema.make_nema_phantom(
        seed=seed, shape=shape or nema.DEFAULT_SHAPE, spacing_mm=spacing_mm or nema.DEFAULT_SPACING_MM
    )
