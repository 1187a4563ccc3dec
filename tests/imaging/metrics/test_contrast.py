"""CRC and background STD on images whose ROI means are set by hand; CRC-vs-STD curves."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.metrics import CrcStdPoint, background_std, contrast_recovery, crc_std_curve


def _masks() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(1, 2, 4) grid: lesions at x = 0 and 1 (row 0); background ROIs are the columns 2 and 3."""
    lesions, backgrounds = [], []
    for x in (0, 1):
        mask = np.zeros((1, 2, 4), dtype=bool)
        mask[0, 0, x] = True
        lesions.append(mask)
    for x in (2, 3):
        mask = np.zeros((1, 2, 4), dtype=bool)
        mask[0, :, x] = True
        backgrounds.append(mask)
    return lesions, backgrounds


def _image(*, lesions: tuple[float, float], backgrounds: tuple[float, float]) -> np.ndarray:
    image = np.ones((1, 2, 4))
    image[0, 0, :2] = lesions
    image[0, :, 2], image[0, :, 3] = backgrounds
    return image


def test_crc_of_an_ideal_image_is_one() -> None:
    lesions, backgrounds = _masks()
    ideal = _image(lesions=(4.0, 4.0), backgrounds=(1.0, 1.0))
    assert contrast_recovery(image=ideal, lesion_masks=lesions, background_masks=backgrounds, true_ratio=4.0) == 1.0


def test_crc_averages_lesions_then_realisations() -> None:
    lesions, backgrounds = _masks()
    first = _image(lesions=(3.0, 2.0), backgrounds=(1.0, 1.0))  # (2.5 / 1 − 1) / 3 = 0.5
    second = _image(lesions=(4.0, 4.0), backgrounds=(1.0, 1.0))  # 1.0
    value = contrast_recovery(
        image=np.stack([first, second]), lesion_masks=lesions, background_masks=backgrounds, true_ratio=4.0
    )
    assert value == pytest.approx(0.75)


def test_background_std_is_the_sd_of_roi_means_over_their_mean() -> None:
    _, backgrounds = _masks()
    image = _image(lesions=(4.0, 4.0), backgrounds=(0.9, 1.1))
    # ROI means 0.9 and 1.1: SD (K − 1) = sqrt(0.01 + 0.01), mean 1
    assert background_std(image=image, background_masks=backgrounds) == pytest.approx(np.sqrt(0.02))


def test_curve_has_one_point_per_setting_in_setting_order() -> None:
    lesions, backgrounds = _masks()
    images = {
        4.0: _image(lesions=(4.0, 4.0), backgrounds=(1.0, 1.0)),
        1.0: _image(lesions=(3.0, 2.0), backgrounds=(0.9, 1.1)),
    }
    points = crc_std_curve(images_by_setting=images, lesion_masks=lesions, background_masks=backgrounds, true_ratio=4.0)
    assert [p.setting for p in points] == [1.0, 4.0]
    assert points[1] == CrcStdPoint(setting=4.0, crc=1.0, std=0.0)
    assert points[0].crc == pytest.approx(0.5)  # background mean 1.0, lesion mean 2.5
    assert points[0].std == pytest.approx(np.sqrt(0.02))


def _crc(**overrides: object) -> float:
    lesions, backgrounds = _masks()
    kwargs: dict[str, object] = {
        "image": _image(lesions=(4.0, 4.0), backgrounds=(1.0, 1.0)),
        "lesion_masks": lesions,
        "background_masks": backgrounds,
        "true_ratio": 4.0,
    }
    kwargs.update(overrides)
    return contrast_recovery(**kwargs)  # type: ignore[arg-type]


def _std(**overrides: object) -> float:
    _, backgrounds = _masks()
    kwargs: dict[str, object] = {"image": _image(lesions=(4.0, 4.0), backgrounds=(1.0, 1.0))}
    kwargs["background_masks"] = backgrounds
    kwargs.update(overrides)
    return background_std(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metric", "overrides", "argument"),
    [
        (_crc, {"true_ratio": 1.0}, "'true_ratio'"),
        (_crc, {"lesion_masks": []}, "'lesion_masks'"),
        (_crc, {"image": np.ones((2, 4))}, "'image'"),
        (_crc, {"lesion_masks": [np.ones((2, 4), dtype=bool)]}, "'lesion_masks'"),
        (_std, {"background_masks": _masks()[1][:1]}, "'background_masks'"),
        (_std, {"image": -np.ones((1, 2, 4))}, "'image'"),
        (_std, {"background_masks": [np.zeros((1, 2, 4), dtype=bool)] * 2}, "'background_masks'"),
    ],
)
def test_bad_contrast_arguments_are_named(metric: object, overrides: dict[str, object], argument: str) -> None:
    with pytest.raises(InputError, match=argument):
        metric(**overrides)  # type: ignore[operator]


def test_empty_curve_is_refused() -> None:
    lesions, backgrounds = _masks()
    with pytest.raises(InputError, match="'images_by_setting'"):
        crc_std_curve(images_by_setting={}, lesion_masks=lesions, background_masks=backgrounds, true_ratio=4.0)
