"""The error tree: its public names, context and hierarchy."""

from __future__ import annotations

import pytest

from imaging import errors
from imaging.errors import (
    InputError,
    MixedSeriesError,
    NotDicomError,
    OutputError,
    PetiqError,
    SeriesError,
    UnsupportedError,
)


def test_all_lists_every_public_error() -> None:
    public = {name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, Exception)}
    assert set(errors.__all__) == public


@pytest.mark.parametrize(
    ("cls", "parents"),
    [
        (NotDicomError, (InputError, PetiqError)),
        (SeriesError, (InputError, PetiqError)),
        (MixedSeriesError, (SeriesError, InputError)),
        (UnsupportedError, (InputError,)),
        (OutputError, (PetiqError,)),
    ],
)
def test_hierarchy(cls: type[PetiqError], parents: tuple[type[Exception], ...]) -> None:
    assert issubclass(cls, parents)
    assert not issubclass(OutputError, InputError)


def test_message_carries_check_uid_and_path() -> None:
    error = SeriesError("Slices differ in Rows.", check="rows", uid="1.2.3", path="/x/a.dcm")
    assert str(error) == "Slices differ in Rows. [check=rows, uid=1.2.3, path=/x/a.dcm]"
    assert error.context() == {"message": "Slices differ in Rows.", "check": "rows", "uid": "1.2.3", "path": "/x/a.dcm"}


def test_message_without_context_is_plain() -> None:
    assert str(OutputError("Disk full.")) == "Disk full."


def test_mixed_series_lists_the_series() -> None:
    error = MixedSeriesError("Two series.", series={"1.2": 3, "1.3": 4})
    assert error.series == {"1.2": 3, "1.3": 4}
    assert error.check == "single_series"
