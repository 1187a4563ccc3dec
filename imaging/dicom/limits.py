"""Size limits on what one DICOM file may make petiq allocate, checked before any pixel is decoded.

Whatever a file claims, reading it holds at most about ``MAX_INFLATED_BYTES`` of dataset plus one decoded image:

- Rows and Columns are at most ``MAX_ROWS`` × ``MAX_COLUMNS`` (4096 × 4096, 8× the largest PET matrix in use,
  512 × 512) and the image's pixel bytes (Rows × Columns × NumberOfFrames × SamplesPerPixel × BitsAllocated / 8)
  at most ``MAX_PIXEL_BYTES`` (64 MiB: one 4096 × 4096 frame of 32-bit samples), so a decoder never allocates more.
- A Deflated file is inflated as a bounded stream: never more than ``MAX_INFLATED_BYTES`` (the largest image
  plus ``HEADER_SLACK_BYTES`` of header), then no more than its own pixel bytes plus that slack.
- Encapsulated (compressed) Pixel Data may not be larger than ``ENCAPSULATED_FACTOR`` × the decoded image plus
  ``HEADER_SLACK_BYTES`` (lossless codecs expand incompressible data by a few percent at most).

Every refusal is an :class:`~imaging.errors.UnsupportedError` with ``check="limits"`` naming the file and the
attribute; an attribute that is not a number is a :class:`~imaging.errors.SeriesError` (``check="attribute"``).
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from imaging.errors import SeriesError, UnsupportedError

__all__ = [
    "ENCAPSULATED_FACTOR",
    "HEADER_SLACK_BYTES",
    "MAX_COLUMNS",
    "MAX_INFLATED_BYTES",
    "MAX_PIXEL_BYTES",
    "MAX_ROWS",
    "check_encapsulated_size",
    "check_inflated_size",
    "image_bytes",
]

MAX_ROWS = 4096
MAX_COLUMNS = 4096
MAX_PIXEL_BYTES = 4096 * 4096 * 4
HEADER_SLACK_BYTES = 8 * 1024**2
MAX_INFLATED_BYTES = MAX_PIXEL_BYTES + HEADER_SLACK_BYTES
ENCAPSULATED_FACTOR = 2

_LIMITS = "limits"


def _count(dataset: Dataset, keyword: str, *, default: int, name: str, uid: str | None) -> int:
    """The non-negative integer value of ``keyword`` (``default`` when absent or empty)."""
    try:
        value = dataset.get(keyword)
        number = default if value is None or value == "" else int(value)
    except Exception as error:  # pydicom's conversion of a damaged value, or a value that is no integer
        raise SeriesError(
            f"Attribute '{keyword}' of {name} should be an integer.", check="attribute", uid=uid, path=name
        ) from error
    if number < 0:
        raise SeriesError(
            f"Attribute '{keyword}' of {name} should not be negative, got {number}.",
            check="attribute",
            uid=uid,
            path=name,
        )
    return number


def _refuse(message: str, *, name: str, uid: str | None) -> UnsupportedError:
    return UnsupportedError(message, check=_LIMITS, uid=uid, path=name)


def image_bytes(*, dataset: Dataset, name: str, uid: str | None = None) -> int:
    """The bytes of the decoded image ``dataset`` declares, once its dimensions are within the limits.

    Args:
        dataset: the header (Rows, Columns, NumberOfFrames, SamplesPerPixel, BitsAllocated; absent ones count
            as 0, 0, 1, 1 and 16).
        name: the file, for the error; uid: the series or instance UID, for the error.

    Raises:
        UnsupportedError: ``check="limits"``, Rows, Columns or the image's bytes beyond the limits.
        SeriesError: ``check="attribute"``, one of them not a non-negative integer.
    """
    rows = _count(dataset, "Rows", default=0, name=name, uid=uid)
    columns = _count(dataset, "Columns", default=0, name=name, uid=uid)
    for keyword, value, limit in (("Rows", rows, MAX_ROWS), ("Columns", columns, MAX_COLUMNS)):
        if value > limit:
            raise _refuse(
                f"Attribute '{keyword}' of {name} is {value}; petiq reads at most {limit}.", name=name, uid=uid
            )
    frames = max(_count(dataset, "NumberOfFrames", default=1, name=name, uid=uid), 1)
    samples = max(_count(dataset, "SamplesPerPixel", default=1, name=name, uid=uid), 1)
    bits = _count(dataset, "BitsAllocated", default=16, name=name, uid=uid)
    size = rows * columns * frames * samples * ((bits + 7) // 8)
    if size > MAX_PIXEL_BYTES:
        raise _refuse(
            f"The image of {name} ({rows}x{columns}, {frames} frame(s), {samples} sample(s), {bits} bits) "
            f"would decode to {size} bytes; petiq reads at most {MAX_PIXEL_BYTES}.",
            name=name,
            uid=uid,
        )
    return size


def check_inflated_size(*, dataset: Dataset, inflated: int, name: str, uid: str | None = None) -> None:
    """A Deflated file's inflated dataset (``inflated`` bytes) is no larger than its image plus the header slack.

    Raises:
        UnsupportedError: ``check="limits"``, when it is larger (a decompression bomb or a file with junk in it).
    """
    bound = image_bytes(dataset=dataset, name=name, uid=uid) + HEADER_SLACK_BYTES
    if inflated > bound:
        raise _refuse(
            f"The Deflated dataset of {name} inflates to {inflated} bytes, more than its image plus "
            f"{HEADER_SLACK_BYTES} bytes of header ({bound}).",
            name=name,
            uid=uid,
        )


def check_encapsulated_size(*, dataset: Dataset, encapsulated: int, name: str, uid: str | None = None) -> None:
    """Encapsulated Pixel Data of ``encapsulated`` bytes is not absurdly larger than the image it decodes to.

    Raises:
        UnsupportedError: ``check="limits"``, beyond ``ENCAPSULATED_FACTOR`` × the image + the header slack.
    """
    bound = ENCAPSULATED_FACTOR * image_bytes(dataset=dataset, name=name, uid=uid) + HEADER_SLACK_BYTES
    if encapsulated > bound:
        raise _refuse(
            f"The encapsulated Pixel Data of {name} holds {encapsulated} bytes, more than "
            f"{ENCAPSULATED_FACTOR}x its decoded image plus {HEADER_SLACK_BYTES} bytes ({bound}).",
            name=name,
            uid=uid,
        )
