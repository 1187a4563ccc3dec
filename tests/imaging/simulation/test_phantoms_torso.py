"""The FDG torso phantom: habitus, SUV, lesions and out-of-distribution features."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.simulation.phantom import Lesion, Phantom, PhantomKind
from imaging.simulation.phantoms import make_torso_phantom
from imaging.simulation.phantoms.tissues import MU_LUNG_RANGE

SEED = 21


@pytest.fixture(scope="module")
def low() -> Phantom:
    return make_torso_phantom(seed=SEED, variant="low_bmi", n_lesions=(6, 6))


@pytest.fixture(scope="module")
def high() -> Phantom:
    return make_torso_phantom(seed=SEED, variant="high_bmi", n_lesions=(6, 6), ood=("catheter", "bladder"))


def _suv(phantom: Phantom) -> dict[str, float]:
    suv = phantom.extras["suv"]
    assert isinstance(suv, dict)
    return suv


def _distance_mm(phantom: Phantom, lesion: Lesion) -> np.ndarray:
    axes = [np.arange(n) * s - c for n, s, c in zip(phantom.shape, phantom.spacing_mm, lesion.centre_mm, strict=True)]
    distance: np.ndarray = np.sqrt(
        axes[0][:, None, None] ** 2 + axes[1][None, :, None] ** 2 + axes[2][None, None, :] ** 2
    )
    return distance


def test_arrays_masks_and_record(low: Phantom) -> None:
    assert low.kind is PhantomKind.TORSO and low.variant == "low_bmi" and low.shape == (64, 128, 128)
    assert low.activity.dtype == np.float32 and low.mu.dtype == np.float32
    organs = {"fat", "soft_tissue", "lung", "liver", "spleen", "kidney", "spine", "myocardium", "blood_pool", "bladder"}
    assert organs <= set(low.masks)
    for name, mask in low.masks.items():
        assert mask.dtype == np.bool_ and mask.any(), name
        assert not (mask & ~low.masks["body"]).any(), name
    assert not any(name.startswith("ood:") for name in low.masks)
    assert 58 <= low.patient_weight_kg <= 72 and low.injected_dose_bq > 1e8
    lung_mu = float(np.median(low.mu[low.masks["lung"]]))
    assert MU_LUNG_RANGE[0] <= lung_mu <= MU_LUNG_RANGE[1]


def test_same_seed_same_phantom_other_seed_other_phantom(low: Phantom) -> None:
    again = make_torso_phantom(seed=SEED, variant="low_bmi", n_lesions=(6, 6))
    np.testing.assert_array_equal(again.activity, low.activity)
    np.testing.assert_array_equal(again.mu, low.mu)
    assert again.lesions == low.lesions
    other = make_torso_phantom(seed=SEED + 1, variant="low_bmi", n_lesions=(6, 6))
    assert not np.array_equal(other.activity, low.activity)


def test_high_bmi_is_bigger_heavier_and_attenuates_more(low: Phantom, high: Phantom) -> None:
    assert high.patient_weight_kg >= 100 > 72 >= low.patient_weight_kg
    assert high.masks["body"].sum() > 1.3 * low.masks["body"].sum()
    assert high.masks["fat"].sum() > 2 * low.masks["fat"].sum()
    z = low.shape[0] // 2
    dy, dx = low.spacing_mm[1], low.spacing_mm[2]
    # line integrals of mu through the central slice: antero-posterior (along y) and lateral (along x)
    assert (high.mu[z].sum(axis=0) * dy).max() > (low.mu[z].sum(axis=0) * dy).max()
    assert (high.mu[z].sum(axis=1) * dx).max() > (low.mu[z].sum(axis=1) * dx).max()
    assert high.mu.sum() > 1.3 * low.mu.sum()


def test_suv_is_activity_times_weight_over_dose(low: Phantom, high: Phantom) -> None:
    for phantom in (low, high):
        for organ in ("liver", "soft_tissue", "lung"):
            activity = float(np.median(phantom.activity[phantom.masks[organ]]))
            suv = activity * phantom.patient_weight_kg * 1000 / phantom.injected_dose_bq
            assert suv == pytest.approx(_suv(phantom)[organ], rel=1e-4), organ
        assert 2.0 <= _suv(phantom)["liver"] <= 2.5
    # the same SUV over more weight: less activity per ml in the heavier patient
    assert np.median(high.activity[high.masks["liver"]]) < np.median(low.activity[low.masks["liver"]])


def test_lesions_sizes_contrasts_and_separation(low: Phantom, high: Phantom) -> None:
    measured = 0
    for phantom in (low, high):
        assert 1 <= len(phantom.lesions) <= 6
        for lesion in phantom.lesions:
            assert 6.0 <= lesion.diameter_mm <= 30.0 and 2.0 <= lesion.contrast <= 8.0
            mask = phantom.masks[f"lesion:{lesion.name}"]
            assert mask.any() and not (mask & ~phantom.masks["body"]).any()
            distance = _distance_mm(phantom, lesion)
            half_diagonal = float(np.linalg.norm(phantom.spacing_mm)) / 2
            core = distance <= lesion.diameter_mm / 2 - half_diagonal
            shell = (distance >= lesion.diameter_mm / 2 + half_diagonal) & (
                distance <= lesion.diameter_mm / 2 + half_diagonal + max(phantom.spacing_mm)
            )
            assert float(phantom.activity[mask].max()) <= lesion.activity_bqml * 1.0001
            if core.any():
                ratio = float(phantom.activity[core].mean() / phantom.activity[shell].mean())
                assert ratio == pytest.approx(lesion.contrast, rel=1e-3)
                measured += 1
        for a, b in itertools.combinations(phantom.lesions, 2):
            gap = np.linalg.norm(np.subtract(a.centre_mm, b.centre_mm))
            assert gap > (a.diameter_mm + b.diameter_mm) / 2
    assert measured >= 3


def test_ood_features_only_on_request(low: Phantom, high: Phantom) -> None:
    assert {"ood:catheter", "ood:bladder"} <= set(high.masks)
    liver = float(np.median(high.activity[high.masks["liver"]]))
    assert float(np.median(high.activity[high.masks["ood:bladder"]])) >= 20 * liver * 0.99
    catheter = high.masks["ood:catheter"]
    assert np.unique(np.nonzero(catheter)[0]).size >= high.shape[0] // 2  # a line along the body
    assert float(high.activity[catheter].max()) > 5 * liver
    assert float(np.median(low.activity[low.masks["bladder"]])) < 20 * float(
        np.median(low.activity[low.masks["liver"]])
    )
    only_bladder = make_torso_phantom(seed=5, ood=("bladder",), shape=(24, 64, 64), spacing_mm=(10.0, 8.0, 8.0))
    assert "ood:bladder" in only_bladder.masks and "ood:catheter" not in only_bladder.masks


def test_lesions_can_be_drawn_in_chosen_tissues_and_sizes() -> None:
    phantom = make_torso_phantom(
        seed=SEED, n_lesions=(6, 6), lesion_hosts=("soft_tissue",), lesion_diameter_mm=(8.0, 14.0)
    )
    hosts = phantom.extras["lesion_hosts"]
    assert phantom.lesions and isinstance(hosts, dict) and set(hosts.values()) == {"soft_tissue"}
    assert all(8.0 * 0.7 <= lesion.diameter_mm <= 14.0 for lesion in phantom.lesions)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"variant": "obese"}, "'variant'"),
        ({"ood": ("pacemaker",)}, "'ood'"),
        ({"n_lesions": (3, 1)}, "'n_lesions'"),
        ({"lesion_hosts": ("brain",)}, "'lesion_hosts'"),
        ({"lesion_diameter_mm": (12.0, 6.0)}, "'lesion_diameter_mm'"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(InputError, match=argument):
        make_torso_phantom(seed=0, **kwargs)  # type: ignore[arg-type]
