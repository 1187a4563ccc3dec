"""The simulator's study API and DICOM export: determinism, naming, SUV consistency, reader round trip."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from imaging.dicom.reader import read_pet_series
from imaging.errors import OutputError
from imaging.metrics import nema_image_quality
from imaging.simulation.export import write_study
from imaging.simulation.phantom import Phantom, PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.study import SimulatedStudy, StudyRequest, level_label, simulate_study

SMALL = {"shape": (6, 48, 48), "spacing_mm": (4.0, 8.0, 8.0)}


def _small_torso(seed: int) -> Phantom:
    return make_phantom(kind=PhantomKind.TORSO, seed=seed, variant="low_bmi", **SMALL)


def _study(seed: int = 2, **request: object) -> SimulatedStudy:
    settings: dict[str, object] = {"levels": (1.0, 0.1), "split": True, "realizations": 2, **request}
    req = StudyRequest(kind=PhantomKind.TORSO, seed=seed, variant="low_bmi", **settings)  # type: ignore[arg-type]
    return simulate_study(request=req, phantom=_small_torso(seed))


def test_series_per_level_split_and_realization() -> None:
    study = _study()
    names = [(s.realization, s.name) for s in study.series]
    assert names == [
        (r, name)
        for r in (0, 1)
        for name in (
            "count-100pct",
            "count-100pct-split-a",
            "count-100pct-split-b",
            "count-10pct",
            "count-10pct-split-a",
            "count-10pct-split-b",
        )
    ]
    assert len({s.volume.uids.series_uid for s in study.series}) == len(study.series)
    assert {s.volume.uids.study_uid for s in study.series} == {study.study_uid}
    assert study.series[1].counted_fraction == pytest.approx(0.5)


def test_same_seed_same_study_other_seed_other_noise() -> None:
    first, again, other = _study(), _study(), _study(seed=3)
    for a, b in zip(first.series, again.series, strict=True):
        np.testing.assert_array_equal(a.volume.voxels, b.volume.voxels)
        assert a.volume.uids == b.volume.uids
    assert not np.array_equal(first.series[0].volume.voxels, other.series[0].volume.voxels)
    # realisations differ in noise only
    assert not np.array_equal(first.series[0].volume.voxels, first.series[6].volume.voxels)
    np.testing.assert_array_equal(first.reference, again.reference)


def test_level_labels() -> None:
    assert [level_label(level=v) for v in (1.0, 0.25, 0.05, 0.005)] == [
        "count-100pct",
        "count-25pct",
        "count-5pct",
        "count-0.5pct",
    ]


def test_request_is_validated() -> None:
    with pytest.raises(ValueError, match="'levels'"):
        StudyRequest(kind=PhantomKind.TORSO, seed=1, levels=(1.0, 1.5))
    with pytest.raises(ValueError, match="'realizations'"):
        StudyRequest(kind=PhantomKind.TORSO, seed=1, realizations=0)


def test_written_series_pass_the_reader_with_their_suv(tmp_path: Path) -> None:
    study = _study(realizations=1)
    out = write_study(study=study, directory=tmp_path / "study")
    manifest = json.loads((out / "study.json").read_text())
    assert len(manifest["series"]) == len(study.series)
    phantom = study.phantom
    for entry, series in zip(manifest["series"], study.series, strict=True):
        read = read_pet_series(source=out / entry["path"])
        expected = series.volume.voxels
        tolerance = 1e-4 * np.abs(expected).max(axis=(1, 2), keepdims=True)
        assert np.all(np.abs(read.volume.voxels - expected) <= tolerance)
        assert read.volume.uids.series_uid == entry["series_uid"]
        assert read.volume.geometry == series.volume.geometry
        # the header's dose, times and weight give back the phantom's SUV scale
        assert read.volume.suv.factor == pytest.approx(phantom.patient_weight_kg * 1000 / phantom.injected_dose_bq)
    truth = np.load(out / "study.npz")
    np.testing.assert_array_equal(truth["activity"], phantom.activity)
    np.testing.assert_array_equal(truth["mask:liver"], phantom.masks["liver"])
    np.testing.assert_array_equal(truth["reference"], study.reference)


def test_write_refuses_a_non_empty_folder_and_leaves_nothing_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = _study(realizations=1, split=False, levels=(1.0,))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(OutputError, match="not empty"):
        write_study(study=study, directory=tmp_path / "busy")

    def fail(**_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("imaging.simulation.export._write_truth", fail)
    with pytest.raises(OutputError, match="disk full"):
        write_study(study=study, directory=tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


@pytest.mark.slow
def test_noise_free_contrast_recovery_rises_with_sphere_size() -> None:  # NEMA IEC, protocol v1
    request = StudyRequest(kind=PhantomKind.NEMA, seed=0, levels=(1.0,))
    study = simulate_study(request=request)
    phantom = study.phantom
    lesions = sorted(phantom.lesions, key=lambda lesion: lesion.diameter_mm)
    extras = phantom.extras
    results = nema_image_quality(
        image=study.reference,
        spacing_mm=phantom.spacing_mm,
        sphere_centres_mm=np.asarray([lesion.centre_mm for lesion in lesions]),
        sphere_diameters_mm=np.asarray([lesion.diameter_mm for lesion in lesions]),
        background_centres_mm=np.asarray(extras["background_roi_centres_mm"]),
        activity_ratio=4.0,
    )
    recovery = [result.contrast_recovery_pct for result in results]
    assert all(later > earlier for earlier, later in itertools.pairwise(recovery)), recovery
    assert 5 < recovery[0] < recovery[-1] < 105
