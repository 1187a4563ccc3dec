"""The NEMA IEC body phantom (evaluation only)."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms import make_nema_phantom
from imaging.simulation.phantoms.nema import SPHERE_DIAMETERS_MM


@pytest.fixture(scope="module")
def nema() -> Phantom:
    return make_nema_phantom(seed=4)


def test_masks_record_and_evaluation_flag(nema: Phantom) -> None:
    assert nema.kind is PhantomKind.NEMA and nema.extras["evaluation_only"] is True
    expected = {"body", "background", "lung_insert"} | {f"lesion:sphere{d:.0f}" for d in SPHERE_DIAMETERS_MM}
    assert set(nema.masks) == expected
    for name, mask in nema.masks.items():
        assert mask.dtype == np.bool_ and mask.any() and not (mask & ~nema.masks["body"]).any(), name
    assert [lesion.diameter_mm for lesion in nema.lesions] == list(SPHERE_DIAMETERS_MM)


def test_body_size_and_lung_insert(nema: Phantom) -> None:
    body = nema.masks["body"]
    z = round(float(nema.extras["sphere_plane_z_mm"]) / nema.spacing_mm[0])  # type: ignore[arg-type]
    ys, xs = np.nonzero(body[z])
    assert (xs.max() - xs.min() + 1) * nema.spacing_mm[2] == pytest.approx(300.0, abs=2 * nema.spacing_mm[2])
    assert (ys.max() - ys.min() + 1) * nema.spacing_mm[1] == pytest.approx(224.0, abs=2 * nema.spacing_mm[1])
    insert = nema.masks["lung_insert"]
    area = insert[z].sum() * nema.spacing_mm[1] * nema.spacing_mm[2]
    assert area == pytest.approx(np.pi * 25.5**2, rel=0.1)
    assert float(np.median(nema.activity[insert])) == 0.0 and 0.002 <= float(np.median(nema.mu[insert])) <= 0.003


def test_sphere_volumes_plane_ring_and_contrast(nema: Phantom) -> None:
    voxel_ml = float(np.prod(nema.spacing_mm))
    background = float(np.median(nema.activity[nema.masks["background"]]))
    assert background == pytest.approx(5.3e3, rel=0.06)
    axis = np.array([np.mean(np.nonzero(nema.masks["lung_insert"])[k]) * nema.spacing_mm[k] for k in (1, 2)])
    for lesion in nema.lesions:
        mask = nema.masks[f"lesion:{lesion.name}"]
        volume = 4 / 3 * np.pi * (lesion.diameter_mm / 2) ** 3
        if lesion.diameter_mm >= 17:
            assert mask.sum() * voxel_ml == pytest.approx(volume, rel=0.1), lesion.name
            assert float(nema.activity[mask].max()) == pytest.approx(4.0 * background, rel=1e-5)
        assert lesion.contrast == 4.0 and lesion.activity_bqml == pytest.approx(4.0 * background, rel=1e-6)
        assert lesion.centre_mm[0] == nema.extras["sphere_plane_z_mm"]
        radius = np.linalg.norm(np.array(lesion.centre_mm[1:]) - axis)
        assert radius == pytest.approx(114.4 / 2, abs=0.5)


def test_background_rois_sit_in_background(nema: Phantom) -> None:
    centres = nema.extras["background_roi_centres_mm"]
    assert isinstance(centres, list) and len(centres) == 12
    spacing = nema.spacing_mm
    y = np.arange(nema.shape[1])[:, None] * spacing[1]
    x = np.arange(nema.shape[2])[None, :] * spacing[2]
    for offset in nema.extras["background_roi_slice_offsets_mm"]:  # type: ignore[attr-defined]
        for cz, cy, cx in centres:
            z = round((cz + offset) / spacing[0])
            disk = (y - cy) ** 2 + (x - cx) ** 2 <= 18.5**2
            assert nema.masks["background"][z][disk].mean() > 0.97


def test_seeded_shift(nema: Phantom) -> None:
    np.testing.assert_array_equal(make_nema_phantom(seed=4).activity, nema.activity)
    assert not np.array_equal(make_nema_phantom(seed=5).activity, nema.activity)
