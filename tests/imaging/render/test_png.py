"""The PNG encoder: read back by an independent reader (and by Pillow when installed), chunk CRCs, argument checks."""

from __future__ import annotations

import io

import numpy as np
import pytest

from imaging.render.png import PNG_SIGNATURE, encode_png
from tests.imaging.render.png_reader import read_grey_png


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (17, 4)])
def test_round_trip_keeps_every_grey_level_and_the_orientation(shape: tuple[int, int]) -> None:
    image = np.random.default_rng(sum(shape)).integers(0, 256, size=shape, dtype=np.uint8)
    data = encode_png(image=image)
    assert data.startswith(PNG_SIGNATURE)
    assert np.array_equal(read_grey_png(data), image)


def test_pillow_reads_it_as_an_l_mode_image() -> None:
    pil = pytest.importorskip("PIL.Image")
    image = np.arange(6 * 9, dtype=np.uint8).reshape(6, 9) * 4
    with pil.open(io.BytesIO(encode_png(image=image, compression=9))) as decoded:
        assert (decoded.mode, decoded.size) == ("L", (9, 6))
        assert np.array_equal(np.asarray(decoded), image)


def test_compression_shrinks_a_flat_image() -> None:
    flat = np.full((64, 64), 200, dtype=np.uint8)
    assert len(encode_png(image=flat, compression=9)) < len(encode_png(image=flat, compression=0)) < 64 * 65 + 100


@pytest.mark.parametrize(
    "image",
    [np.zeros((2, 2), dtype=np.uint16), np.zeros((2, 2, 3), dtype=np.uint8), np.zeros((0, 3), dtype=np.uint8)],
)
def test_rejects_what_is_not_a_2d_uint8_image(image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="Argument 'image'"):
        encode_png(image=image)


def test_rejects_a_bad_compression_level() -> None:
    with pytest.raises(ValueError, match="Argument 'compression'"):
        encode_png(image=np.zeros((2, 2), dtype=np.uint8), compression=10)
