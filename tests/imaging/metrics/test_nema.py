"""NEMA NU 2 contrast recovery and background variability on images whose ROI means are set by hand."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.metrics import NemaSphereResult, circular_roi_mask, nema_image_quality

SPACING = (5.0, 2.0, 2.0)  # z, y, x mm: 9 slices at 0..40 mm, central slice 4 at z = 20 mm
SHAPE = (9, 40, 40)
SPHERE = (20.0, 40.0, 40.0)  # pixel (20, 20) of slice 4
DIAMETER = 10.0
BACKGROUND = np.array([[20.0, 10.0, 10.0], [20.0, 10.0, 70.0], [20.0, 70.0, 10.0], [20.0, 70.0, 70.0]])


def _phantom(*, quadrant_values: tuple[float, float, float, float], sphere_value: float) -> np.ndarray:
    """Each image quadrant (one background ROI centre each) at its value; the sphere's disc on slice 4."""
    image = np.empty(SHAPE)
    image[:, :20, :20], image[:, :20, 20:], image[:, 20:, :20], image[:, 20:, 20:] = quadrant_values
    disc = circular_roi_mask(shape_yx=SHAPE[1:], centre_mm_yx=SPHERE[1:], diameter_mm=DIAMETER, spacing_mm_yx=(2, 2))
    image[4][disc] = sphere_value
    return image


def _analyse(image: np.ndarray, **overrides: object) -> tuple[NemaSphereResult, ...]:
    kwargs: dict[str, object] = {
        "image": image,
        "spacing_mm": SPACING,
        "sphere_centres_mm": np.array([SPHERE]),
        "sphere_diameters_mm": [DIAMETER],
        "background_centres_mm": BACKGROUND,
        "activity_ratio": 4.0,
    }
    kwargs.update(overrides)
    return nema_image_quality(**kwargs)  # type: ignore[arg-type]


def test_perfect_four_to_one_image_recovers_100_percent_with_no_variability() -> None:
    (result,) = _analyse(_phantom(quadrant_values=(1.0, 1.0, 1.0, 1.0), sphere_value=4.0))
    assert result.contrast_recovery_pct == pytest.approx(100.0)
    assert result.background_variability_pct == pytest.approx(0.0)
    assert result.n_background_rois == 4 * 5
    assert result.diameter_mm == DIAMETER


def test_hand_set_roi_means_give_the_hand_computed_figures() -> None:
    (result,) = _analyse(_phantom(quadrant_values=(0.8, 1.0, 1.0, 1.2), sphere_value=3.0))
    # 20 ROIs: each quadrant's value on 5 slices → mean 1.0, Σ(dev²) = 5·(0.04 + 0.04) = 0.4, SD = sqrt(0.4 / 19)
    assert result.background_mean == pytest.approx(1.0)
    assert result.background_sd == pytest.approx(np.sqrt(0.4 / 19))
    assert result.background_variability_pct == pytest.approx(np.sqrt(0.4 / 19) * 100)
    # Q_H = (3 / 1 − 1) / (4 − 1) × 100
    assert result.sphere_mean == pytest.approx(3.0)
    assert result.contrast_recovery_pct == pytest.approx(200.0 / 3.0)


def test_background_rois_sit_on_the_central_slice_and_at_plus_minus_10_and_20_mm() -> None:
    image = _phantom(quadrant_values=(1.0, 1.0, 1.0, 1.0), sphere_value=4.0)
    image[[1, 7]] = 50.0  # slices at 5 and 35 mm: not background slices
    image[2] = 2.0  # slice at 10 mm = central − 10 mm: 4 of the 20 ROIs read 2.0
    (result,) = _analyse(image)
    assert result.background_mean == pytest.approx((16 * 1.0 + 4 * 2.0) / 20)


def test_sphere_roi_is_read_on_the_slice_through_its_centre() -> None:
    image = _phantom(quadrant_values=(1.0, 1.0, 1.0, 1.0), sphere_value=4.0)
    (on_centre,) = _analyse(image)
    (off_centre,) = _analyse(image, sphere_centres_mm=np.array([[25.0, 40.0, 40.0]]))  # slice 5: background
    assert on_centre.sphere_mean == pytest.approx(4.0)
    assert off_centre.sphere_mean == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        ({"activity_ratio": 1.0}, "'activity_ratio'"),
        ({"sphere_diameters_mm": [10.0, 13.0]}, "'sphere_diameters_mm'"),
        ({"sphere_centres_mm": np.array([20.0, 40.0, 40.0])}, "'sphere_centres_mm'"),
        ({"background_centres_mm": np.array([[35.0, 10.0, 10.0]])}, "'background_centres_mm'"),
        ({"spacing_mm": (5.0, 2.0)}, "'spacing_mm'"),
        ({"image": np.ones((40, 40))}, "'image'"),
        ({"image": np.zeros(SHAPE)}, "'image'"),  # background mean 0
        ({"background_centres_mm": BACKGROUND[:1], "slice_offsets_mm": (0.0,)}, "'background_centres_mm'"),
    ],
)
def test_bad_nema_arguments_are_named(overrides: dict[str, object], argument: str) -> None:
    arguments = dict(overrides)
    image = arguments.pop("image", _phantom(quadrant_values=(1.0, 1.0, 1.0, 1.0), sphere_value=4.0))
    with pytest.raises(InputError, match=argument):
        _analyse(np.asarray(image), **arguments)
