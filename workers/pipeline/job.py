"""The whole job in one process: load → [adapt] → denoise → [uncertainty] → qc → [score] → write, each stage timed.

The write stage writes the derived series (and the uncertainty series, when one was estimated), then the scores SR
built from the result document (timings aside, the document is final by then), then result.json with the final
timings.

:func:`run_process` is what ``petiq process`` and the worker's task call. Order matters for the user: the output
folder is checked first and the weights second (both cheap), before the series is read; nothing is written
until every stage has run, and then all at once (:func:`workers.pipeline.write.staged_output`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydicom import Dataset

from core.adapt import AdaptMode
from core.settings import Settings
from core.strength import DEFAULT_STRENGTH, Strength
from imaging.atomic import write_atomic, write_json_atomic
from imaging.dicom.derived import AlgorithmIdentity
from imaging.dicom.files import write_series
from imaging.dicom.reader import PetSeries
from imaging.errors import OutputError
from imaging.intensity import body_mask
from imaging.volume import PetVolume
from models.adaptation.settings import AdaptationSettings
from models.bundle_info import STATE_NAME, BundleInfo, load_bundle_info
from models.engines import Backend
from models.inference import DEFAULT_ENSEMBLE
from models.iqa.bundle import Scorer
from models.strength import blend_weight
from workers.pipeline.adapt import SINGLE_APPROXIMATION, adapt_denoiser, effective_mode, load_splits
from workers.pipeline.collector import fewer_collections
from workers.pipeline.denoise import Denoised, Denoiser, denoise, open_denoiser
from workers.pipeline.load import load_series
from workers.pipeline.model_output import ModelTarget, model_target
from workers.pipeline.qc import quality_control
from workers.pipeline.report_sr import new_sr_uid, write_scores_sr
from workers.pipeline.result import STAGES, JobRecord, result_document
from workers.pipeline.score import PairScores, open_scorer, score_pair
from workers.pipeline.settings import resolve_scorer_dir
from workers.pipeline.uncertainty import (
    NO_SPLITS,
    Uncertainty,
    estimate_uncertainty,
    unavailable_note,
    unavailable_section,
    uncertainty_algorithm,
    uncertainty_datasets,
    uncertainty_section,
)
from workers.pipeline.write import (
    DENOISED_DIR,
    RESULT_NAME,
    UNCERTAINTY_DIR,
    algorithm_identity,
    check_output_free,
    derived_datasets,
    staged_output,
)

__all__ = ["ProcessRequest", "Progress", "run_process"]

Progress = Callable[[str, float], None]
"""``progress(stage, fraction)``: ``stage`` one of :data:`workers.pipeline.result.STAGES`, ``fraction`` 0–1."""


@dataclass(frozen=True, kw_only=True)
class ProcessRequest:
    """One job.

    Attributes:
        input_dir: folder holding one PET series.
        out_dir: output folder: must not exist or be empty; gets ``denoised/``, ``scores-sr.dcm``,
            ``result.json`` and, with ``uncertainty`` and the split pair, ``uncertainty/``.
        weights_dir: the denoiser's weight bundle (``dncnn.json``, ``dncnn.onnx``, ``dncnn.pt``).
        adapt: per-study adaptation mode (:class:`core.adapt.AdaptMode`).
        split_a, split_b: the two half-count reconstructions for ``n2n-split`` (both or neither).
        adaptation: budget and hyper-parameters of the adaptation.
        save_adapted_model: where to write the adapted torch state dict (same keys as the shipped one); inside
            ``out_dir`` it is part of the all-or-nothing output (:mod:`workers.pipeline.model_output`).
        score: run the quality scorer on the input and the output.
        scorer_dir: the quality scorer's folder (``iqa.json``, ``iqa.pt``); None: the settings' ``scorer_weights``
            (``PETIQ_SCORER_WEIGHTS``, read when the job starts), else the shipped scorer (:mod:`core.weights`).
        backend: inference runtime.
        ensemble: orientations averaged per slice (:data:`models.inference.ENSEMBLE_SIZES`).
        strength: denoising strength level; its blend weight α is the base bundle's (:mod:`models.strength`),
            applied to the adapted network's output too.
        uncertainty: estimate the voxel-wise uncertainty of the output from the split pair and write it as a
            second derived series (:mod:`workers.pipeline.uncertainty`); without the pair, result.json says it is
            unavailable. The splits are read for it whatever the adaptation mode, and denoised by the network
            that made the output.
    """

    input_dir: Path
    out_dir: Path
    weights_dir: Path
    adapt: AdaptMode = AdaptMode.AUTO
    split_a: Path | None = None
    split_b: Path | None = None
    adaptation: AdaptationSettings = field(default_factory=AdaptationSettings)
    save_adapted_model: Path | None = None
    score: bool = True
    scorer_dir: Path | None = None
    backend: Backend = Backend.AUTO
    ensemble: int = DEFAULT_ENSEMBLE
    strength: Strength = DEFAULT_STRENGTH
    uncertainty: bool = False


class _Clock:
    """Seconds per stage; every stage of :data:`STAGES` starts at 0.0 (skipped)."""

    def __init__(self, progress: Progress | None) -> None:
        self.timings = dict.fromkeys(STAGES, 0.0)
        self.progress = progress

    def report(self, stage: str, fraction: float) -> None:
        if self.progress is not None:
            self.progress(stage, fraction)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.report(name, 0.0)
        start = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - start
        self.report(name, 1.0)


def run_process(*, request: ProcessRequest, progress: Progress | None = None) -> dict[str, Any]:
    """Run ``request``; returns the result.json mapping that was written to ``out_dir``. The garbage collector
    runs less often meanwhile (:func:`workers.pipeline.collector.fewer_collections`).

    Raises:
        InputError: unusable input series, splits or weights, or an ``out_dir`` that exists and is not empty.
        OutputError: the output could not be written (then ``out_dir`` is not created).
    """
    with fewer_collections():
        return _run_process(request=request, progress=progress)


def _run_process(*, request: ProcessRequest, progress: Progress | None = None) -> dict[str, Any]:
    """:func:`run_process`, with the collector as it is."""
    check_output_free(out_dir=request.out_dir)
    mode = effective_mode(mode=request.adapt, split_a=request.split_a, split_b=request.split_b)
    target = model_target(
        path=request.save_adapted_model,
        out_dir=request.out_dir,
        inputs=(request.input_dir, request.split_a, request.split_b),
        adapts=mode is not None,
    )
    bundle = load_bundle_info(directory=request.weights_dir)
    blend = blend_weight(strengths=bundle.strengths, strength=request.strength)
    scorer = _scorer(request)
    clock = _Clock(progress)
    with clock.stage("load"):
        series = load_series(input_dir=request.input_dir)
        splits = _splits(request=request, mode=mode, reference=series.volume)
    with tempfile.TemporaryDirectory(prefix="petiq-job-") as workdir:
        adaptation = None
        if mode is not None:
            with clock.stage("adapt"):
                adapted = adapt_denoiser(
                    bundle=bundle,
                    mode=mode,
                    volume=series.volume,
                    splits=splits,
                    settings=request.adaptation,
                    workdir=Path(workdir),
                )
            bundle, adaptation = adapted.bundle, adapted.section
        with clock.stage("denoise"):
            denoiser = open_denoiser(info=bundle, backend=request.backend)
            output = denoise(
                volume=series.volume,
                denoiser=denoiser,
                ensemble=request.ensemble,
                blend=blend,
                progress=lambda f: clock.report("denoise", f),
            )
            denoised, scale = output.volume, output.scale
        uncertainty = None
        if request.uncertainty and splits is not None:
            with clock.stage("uncertainty"):
                uncertainty = _uncertainty(
                    request=request, splits=splits, output=output, denoiser=denoiser, blend=blend, clock=clock
                )
        with clock.stage("qc"):
            qc = quality_control(before=series.volume, after=denoised, scale=scale, body=output.body)
            qc["activity_factor"] = round(output.activity_factor, 6)
        scores = PairScores(scores_in=None, scores_out=None)
        if scorer is not None:
            with clock.stage("score"):
                scores = score_pair(scorer=scorer, before=series.volume, after=denoised, scale=scale)
        record = JobRecord(
            input_series_uid=series.volume.uids.series_uid,
            n_slices=series.volume.shape[0],
            output_series_uid="",  # the derived series' UID, set when it is made
            bundle=bundle,
            engine=denoiser.engine.name,
            ensemble=request.ensemble,
            strength=request.strength,
            blend=blend,
            qc=qc,
            timings_s=clock.timings,  # read when the document is made: final after the write stage
            notes=_notes(mode=mode, series=series, scores=scores, request=request, splits=splits),
            adaptation=adaptation,
            uncertainty=unavailable_section(reason=NO_SPLITS) if request.uncertainty and splits is None else None,
            sr_uid=new_sr_uid(),
            scores_in=scores.scores_in,
            scores_out=scores.scores_out,
            scorer=scorer.info.provenance() if scorer is not None else None,
        )
        outputs = _Outputs(denoised=denoised, uncertainty=uncertainty)
        return _write(request=request, series=series, outputs=outputs, record=record, clock=clock, target=target)


def _splits(
    *, request: ProcessRequest, mode: AdaptMode | None, reference: PetVolume
) -> tuple[PetVolume, PetVolume] | None:
    """The split pair, read when an ``n2n-split`` adaptation or the uncertainty needs it and it is given."""
    needed = mode is AdaptMode.N2N_SPLIT or request.uncertainty
    if not needed or request.split_a is None or request.split_b is None:
        return None
    return load_splits(split_a=request.split_a, split_b=request.split_b, reference=reference)


def _uncertainty(
    *,
    request: ProcessRequest,
    splits: tuple[PetVolume, PetVolume],
    output: Denoised,
    denoiser: Denoiser,
    blend: float,
    clock: _Clock,
) -> Uncertainty:
    """Stage ``uncertainty``: both splits denoised as ``output`` was, and the estimate from them."""
    body = output.body if output.body is not None else body_mask(voxels=output.volume.voxels)
    return estimate_uncertainty(
        splits=splits,
        output=output.volume,
        body=body,
        denoiser=denoiser,
        ensemble=request.ensemble,
        blend=blend,
        progress=lambda fraction: clock.report("uncertainty", fraction),
    )


@dataclass(frozen=True, kw_only=True)
class _Outputs:
    """The volumes the write stage turns into series: the denoised output and, when estimated, its uncertainty."""

    denoised: PetVolume
    uncertainty: Uncertainty | None


def _write(
    *,
    request: ProcessRequest,
    series: PetSeries,
    outputs: _Outputs,
    record: JobRecord,
    clock: _Clock,
    target: ModelTarget | None,
) -> dict[str, Any]:
    """Stage ``write``: the derived series (and the uncertainty series), the scores SR and result.json, staged and
    renamed into place."""
    with staged_output(out_dir=request.out_dir) as staging:
        with clock.stage("write"):
            algorithm = algorithm_identity(bundle=record.bundle, strength=record.strength, blend=record.blend)
            datasets = derived_datasets(series=series, denoised=outputs.denoised, algorithm=algorithm)
            write_series(datasets=datasets, directory=staging / DENOISED_DIR)
            record = replace(record, output_series_uid=str(datasets[0].SeriesInstanceUID))
            if outputs.uncertainty is not None:
                record = _write_uncertainty(
                    series=series, uncertainty=outputs.uncertainty, denoised=datasets, algorithm=algorithm,
                    record=record, directory=staging / UNCERTAINTY_DIR,
                )  # fmt: skip
            write_scores_sr(
                series=series,
                derived=datasets,
                result=result_document(record=record).model_dump(mode="json"),
                algorithm=algorithm,
                directory=staging,
            )
        result = result_document(record=record).model_dump(mode="json")
        write_json_atomic(path=staging / RESULT_NAME, value=result)
        if record.adaptation is not None and target is not None:
            path = staging / target.inside if target.inside is not None else target.outside
            assert path is not None  # a target is inside or outside
            _save_state(bundle=record.bundle, path=path)
    return result


def _write_uncertainty(
    *,
    series: PetSeries,
    uncertainty: Uncertainty,
    denoised: list[Dataset],
    algorithm: AlgorithmIdentity,
    record: JobRecord,
    directory: Path,
) -> JobRecord:
    """The uncertainty series written to ``directory`` beside the ``denoised`` series made by ``algorithm`` (its
    own Series Number); ``record`` with its ``uncertainty`` section."""
    output_uid = str(denoised[0].SeriesInstanceUID)
    made_by = uncertainty_algorithm(denoiser=algorithm, output_series_uid=output_uid, split_uids=uncertainty.split_uids)
    datasets = uncertainty_datasets(
        series=series, uncertainty=uncertainty, algorithm=made_by, taken={int(denoised[0].SeriesNumber)}
    )
    write_series(datasets=datasets, directory=directory)
    section = uncertainty_section(uncertainty=uncertainty, series_uid=str(datasets[0].SeriesInstanceUID))
    return replace(record, uncertainty=section)


def _notes(
    *,
    mode: AdaptMode | None,
    series: PetSeries,
    scores: PairScores,
    request: ProcessRequest,
    splits: tuple[PetVolume, PetVolume] | None,
) -> list[str]:
    """The remarks result.json, the SR and the report page show: approximations made and what could not be done."""
    notes = [*series.radionuclide.notes, *([SINGLE_APPROXIMATION] if mode is AdaptMode.SINGLE else [])]
    if series.volume.suv.factor is None:
        notes.append(f"No SUV: {series.volume.suv.reason}.")
    if scores.note is not None:
        notes.append(scores.note)
    if request.uncertainty and splits is None:
        notes.append(unavailable_note(reason=NO_SPLITS))
    return notes


def _scorer(request: ProcessRequest) -> Scorer | None:
    """The scorer when scoring is asked for (loaded before the series is read: a bad folder fails fast)."""
    if not request.score:
        return None
    return open_scorer(directory=resolve_scorer_dir(override=request.scorer_dir, settings=Settings()))


def _save_state(*, bundle: BundleInfo, path: Path) -> None:
    """Copy the adapted bundle's torch state dict to ``path`` atomically (before the output folder appears; inside
    the staged output when the target is in it), creating its folder."""
    state = (bundle.directory / STATE_NAME).read_bytes()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"Could not create the folder of {path.name}: {error}.", path=str(path)) from error
    write_atomic(path=Path(path), write=lambda handle: handle.write(state))
