"""A site's labels CSV: malformed files are refused whole, with the line and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from imaging.errors import InputError
from models.iqa.site_labels import parse_labels, resolve_series
from tests.workers.builders import small_study

GOOD = "series,gqr,pr,dc\na,2.5,2,1.5\nb,0,3.0,0.5\n"


def test_a_good_file_parses() -> None:
    rows = parse_labels(text=GOOD)
    assert [(r.line, r.series, r.scores) for r in rows] == [(2, "a", (2.5, 2.0, 1.5)), (3, "b", (0.0, 3.0, 0.5))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("series,gqr,pr\na,1,1\n", "missing dc"),
        ("series,gqr,pr,dc\n", "no scored series"),
        ("series,gqr,pr,dc\na,2.25,2,2\n", "line 2: gqr should be on the 0.5 grid"),
        ("series,gqr,pr,dc\na,2,3.5,2\n", "line 2: pr should be on the 0.5 grid"),
        ("series,gqr,pr,dc\na,2,2,-0.5\n", "dc should be on the 0.5 grid"),
        ("series,gqr,pr,dc\na,2,2,good\n", "dc should be a number, got 'good'"),
        ("series,gqr,pr,dc\na,2,2,\n", "dc should be a number"),
        ("series,gqr,pr,dc\na,1,1,1\nb,1,1,1\na,2,2,2\n", "line 4: series 'a' is listed twice"),
        ("series,gqr,pr,dc\n,1,1,1\n", "series is empty"),
    ],
)
def test_malformed_files_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_labels(text=text)
    assert caught.value.check == "iqa_labels"


def test_series_are_found_by_folder_or_uid_and_unknown_ones_refused(tmp_path: Path) -> None:
    folder = small_study(directory=tmp_path / "root" / "p1")
    relative = folder.relative_to(tmp_path / "root").as_posix()
    from pydicom import dcmread

    uid = str(dcmread(folder / "0001.dcm", stop_before_pixels=True).SeriesInstanceUID)
    rows = parse_labels(text=f"series,gqr,pr,dc\n{relative},2,2,2\n")
    (found,) = resolve_series(rows=rows, series_root=tmp_path / "root")
    assert found.series_uid == uid and found.folder == folder.resolve() and found.patient_id
    (by_uid,) = resolve_series(
        rows=parse_labels(text=f"series,gqr,pr,dc\n{uid},1,1,1\n"), series_root=tmp_path / "root"
    )
    assert by_uid.folder == found.folder
    with pytest.raises(InputError, match="line 2: series 'nowhere' is neither"):
        resolve_series(rows=parse_labels(text="series,gqr,pr,dc\nnowhere,1,1,1\n"), series_root=tmp_path / "root")
    with pytest.raises(InputError, match="series_root"):
        resolve_series(rows=rows, series_root=tmp_path / "missing")
