"""make_phantom: one entry point for every phantom family."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom

SMALL = {"shape": (20, 48, 48), "spacing_mm": (8.0, 8.0, 8.0)}


@pytest.mark.parametrize("kind", list(PhantomKind))
def test_each_kind_on_a_small_grid(kind: PhantomKind) -> None:
    grid = {"shape": (20, 64, 64), "spacing_mm": (7.0, 6.0, 6.0)} if kind is PhantomKind.BRAIN else SMALL
    phantom = make_phantom(kind=kind, seed=2, **grid)  # type: ignore[arg-type]
    assert phantom.kind is kind and phantom.shape == grid["shape"] and phantom.spacing_mm == grid["spacing_mm"]
    assert phantom.masks["body"].any() and float(phantom.activity.max()) > 0


def test_variants_are_passed_on() -> None:
    torso = make_phantom(kind=PhantomKind.TORSO, seed=3, variant="high_bmi", ood=("catheter",), **SMALL)  # type: ignore[arg-type]
    assert torso.variant == "high_bmi" and "ood:catheter" in torso.masks
    assert make_phantom(kind=PhantomKind.TORSO, seed=4, **SMALL).variant == "low_bmi"  # type: ignore[arg-type]
    assert make_phantom(kind=PhantomKind.TORSO, seed=5, **SMALL).variant == "high_bmi"  # type: ignore[arg-type]
    brain = make_phantom(kind=PhantomKind.BRAIN, seed=3, variant="ftd", shape=(16, 48, 48), spacing_mm=(9.0, 6.0, 6.0))
    assert brain.variant == "ftd" and "hypo" in brain.masks
    default = make_phantom(kind=PhantomKind.NEMA, seed=1)
    assert default.shape == (64, 96, 96) and np.isclose(default.spacing_mm[1], 3.5)


@pytest.mark.parametrize(
    ("kind", "variant", "ood", "argument"),
    [
        (PhantomKind.BRAIN, None, ("catheter",), "'ood'"),
        (PhantomKind.NEMA, "hot", (), "'variant'"),
        (PhantomKind.BRAIN, "stroke", (), "'variant'"),
    ],
)
def test_bad_requests_are_refused(kind: PhantomKind, variant: str | None, ood: tuple[str, ...], argument: str) -> None:
    with pytest.raises(InputError, match=argument):
        make_phantom(kind=kind, seed=0, variant=variant, ood=ood)
