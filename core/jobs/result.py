"""The ``result.json`` document of a job (DESIGN.md §3), typed: the CLI writes it, the job API returns it.

::

    {"input": {series_uid, n_slices, scores},
     "output": {series_uid, sr_uid, scores},
     "qc": {units, suv_factor, ..., uniform_region, activity_factor},
     "adaptation": {mode, phi, steps, seconds, trainable_kernel_fraction, seed, ...} | null,
     "uncertainty": {available: true, series_uid, method, unit, sigma_voxels, split_uids, mean_body, lesions}
                    | {available: false, reason} | null,
     "provenance": {software_version, denoiser: {name, version, sha256, engine, ensemble, strength, blend},
                    scorer, device_uid},
     "timings_s": {load, adapt, denoise, uncertainty, qc, score, write},
     "notes": [str, ...]}

Built by the pipeline (:mod:`workers.pipeline.result`) and written as ``model_dump(mode="json")``: the keys and
their order are the ones the pipeline wrote before this model existed. Reading is tolerant: a key this model
does not know (a newer producer, e.g. a new QC measure) is kept, not lost (``extra="allow"``), and shown as it
is (the report lists unknown QC keys); keys that older documents lack (``activity_factor``, ``seed`` of the
scores, ``reason`` of a found uniform region, ``base``, ``regrown_channels``, ``rounds`` and ``focus`` of an
adaptation, ``strength`` and ``blend`` of the denoiser, ``uncertainty`` of the timings) default to None and are left
out of the dump while None, so an old document dumps as it was read. The ``uncertainty`` section is null when the
job did not ask for one; a document written before it existed lacks the key, and dumps without it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from core.adapt import AdaptMode
from core.strength import Strength

__all__ = [
    "AdaptationBase",
    "AdaptationSection",
    "AdaptationSettingsSection",
    "DenoiserProvenance",
    "InputSection",
    "MetricValues",
    "OutputSection",
    "Provenance",
    "QcSection",
    "ResultDocument",
    "ScorerProvenance",
    "Scores",
    "StageTimings",
    "UncertaintyAvailable",
    "UncertaintyRegion",
    "UncertaintyUnavailable",
    "UniformRegion",
]


def _is_none(value: object) -> bool:
    return value is None


def _optional(description: str) -> Any:
    """A field older documents may lack: None by default, and left out of the dump while None."""
    return Field(default=None, exclude_if=_is_none, description=description)


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow")


class MetricValues(_Section):
    """One value per clinical quality score (0–3 scale)."""

    gqr: float = Field(description="global quality rating")
    pr: float = Field(description="pathology recognisable")
    dc: float = Field(description="diagnostic confidence")


class Scores(_Section):
    """A series' quality scores: rounded to the 0.5 grid, unrounded (``raw``), and their spread over the patches."""

    gqr: float = Field(description="global quality rating, 0–3 in steps of 0.5")
    pr: float = Field(description="pathology recognisable, 0–3 in steps of 0.5")
    dc: float = Field(description="diagnostic confidence, 0–3 in steps of 0.5")
    raw: MetricValues = Field(description="unrounded scores")
    uncertainty: MetricValues = Field(description="standard deviation of the patch predictions, same scale")
    calibration: str = Field(description="the calibration the scores come from (a model observer or a site's)")
    n_patches: int = Field(description="patches scored")
    seed: int | None = _optional("seed of the patch positions")


class InputSection(_Section):
    """The input series."""

    series_uid: str
    n_slices: int
    scores: Scores | None = Field(description="null when scoring was off or not possible")


class OutputSection(_Section):
    """The derived series and the scores SR written beside it."""

    series_uid: str
    sr_uid: str | None = Field(description="SOP Instance UID of the scores SR; null when none is written")
    scores: Scores | None = Field(description="null when scoring was off or not possible")


class UniformRegion(_Section):
    """The window where noise is measured, ``[z, y, x]``; all null, with ``reason``, when none qualifies."""

    centre_voxel: list[int] | None
    size_voxels: list[int] | None
    size_mm: list[float] | None
    reason: str | None = _optional("why no window qualifies (only when none does)")


class QcSection(_Section):
    """Quantitative QC of the output against the input (:mod:`workers.pipeline.qc`); CoV as fractions."""

    units: str | None = Field(description="the input's Units (BQML, ...)")
    suv_factor: float | None = Field(description="SUVbw per unit; null when not computable")
    suv_reason: str | None = Field(description="why there is no SUV factor")
    suvmax_in: float | None
    suvmax_out: float | None
    max_bqml_in: float | None
    max_bqml_out: float | None
    suvmean_ratio_body: float | None = Field(description="mean (= total) activity in the body, out / in")
    body_voxels: int
    body_volume_ml: float
    noise_cov_in: float | None
    noise_cov_out: float | None
    uniform_region: UniformRegion
    activity_factor: float | None = _optional("factor that kept the body's total activity (1 = none needed)")


class AdaptationSettingsSection(_Section):
    """The budget and hyper-parameters the adaptation ran with (:mod:`models.adaptation.settings`)."""

    phi: float
    steps: int
    max_seconds: float
    batch: int
    patch: int
    lr: float
    clip_norm: float
    seed: int
    hot_share: float
    contrast_weight: float
    average_decay: float
    focus_share: float | None = _optional("share of patch centres drawn where the base disagrees with the splits")
    focus_weight: float | None = _optional("μ of the loss weights 1 + μ·excess there")
    rounds: int | None = _optional("TGD rounds (TGDⁿ), KSE re-scored each")


class AdaptationRound(_Section):
    """One round of TGDⁿ."""

    steps: int
    seconds: float
    trainable_kernel_fraction: float = Field(description="share of the KSE-ranked kernels flagged")
    regrown_channels: int = Field(description="idle channels restarted from fresh weights")


class AdaptationFocus(_Section):
    """What the OOD focus map (:mod:`models.adaptation.focus`) covered."""

    flagged_body_pct: float = Field(description="% of the body's voxels with |z| beyond the margin")
    max_excess: float
    sigma_voxels: list[float] = Field(description="σ of the residual's smoothing (slices, rows, columns)")
    noise_sigma_voxels: list[float] = Field(description="σ of the local noise estimate (slices, rows, columns)")
    margin: float = Field(description="|z| the noise may explain")
    cap: float


class AdaptationBase(_Section):
    """The bundle the adapted network started from."""

    name: str
    version: str
    sha256: str
    device_uid: str


class AdaptationSection(_Section):
    """The per-study adaptation that ran (TGD-N2N, DESIGN.md §4)."""

    mode: AdaptMode = Field(description="n2n-split or single")
    phi: float = Field(description="KSE threshold below which kernels were retrained")
    steps: int = Field(description="steps run")
    seconds: float
    trainable_kernel_fraction: float
    regrown_channels: int | None = _optional("idle channels restarted from fresh weights, every round")
    rounds: list[AdaptationRound] | None = _optional("each round of TGDⁿ")
    seed: int
    loss_first: float | None
    loss_last: float | None
    settings: AdaptationSettingsSection
    approximation: str | None = Field(description="what makes this adaptation an approximation; null for n2n-split")
    focus: AdaptationFocus | None = _optional("the OOD focus map's summary; absent without one")
    base: AdaptationBase | None = _optional("the bundle adapted")


class UncertaintyRegion(_Section):
    """The uncertainty in one of the output's hottest separated spots (:mod:`imaging.hot_regions`): the connected
    voxels ≥ 50 % of its peak (output smoothed by σ = 1 voxel) in a box around it."""

    peak_voxel: list[int] = Field(description="[z, y, x] index of the spot's peak")
    voxels: int = Field(description="voxels in the region")
    mean_output: float = Field(description="mean of the output over the region, in 'unit'")
    mean_uncertainty: float = Field(description="mean voxel-wise uncertainty over the region, in 'unit'")
    percent: float | None = Field(description="mean_uncertainty as % of mean_output; null when that is not > 0")


class UncertaintyAvailable(_Section):
    """The voxel-wise uncertainty series written with the output (:mod:`imaging.uncertainty`)."""

    available: Literal[True]
    series_uid: str = Field(description="SeriesInstanceUID of the uncertainty series (same study)")
    method: str = Field(description="how it is estimated, in words")
    unit: str = Field(description="its unit, the output's Units (BQML, ...)")
    sigma_voxels: float = Field(description="σ of the Gaussian local mean of the squared split difference, voxels")
    split_uids: list[str] = Field(description="SeriesInstanceUIDs of the half-count splits A and B")
    mean_body: float | None = Field(description="mean uncertainty in the body, in 'unit'; null for an empty body")
    lesions: list[UncertaintyRegion] = Field(description="the output's hottest separated spots, hottest first (≤ 5)")


class UncertaintyUnavailable(_Section):
    """An uncertainty that was asked for and could not be estimated."""

    available: Literal[False]
    reason: str = Field(description="why none is available")


class DenoiserProvenance(_Section):
    """The denoiser that ran: its weights (``sha256`` of the ONNX file), the engine, and the strength level with
    its blend weight (both absent from a document written before levels existed: the network's full output)."""

    name: str
    version: str
    sha256: str
    engine: str = Field(description="e.g. onnxruntime/CPUExecutionProvider")
    ensemble: int = Field(description="orientations averaged per slice")
    strength: Strength | None = _optional("denoising strength level: low, medium or high")
    blend: float | None = _optional(
        "blend weight α of the strength level: output = input + α · (network output − input), 0 < α ≤ 1"
    )


class ScorerProvenance(_Section):
    """The quality scorer that ran."""

    name: str
    version: str
    sha256: str
    calibration: str


class Provenance(_Section):
    """What made the output; ``device_uid`` changes whenever the weights change."""

    software_version: str
    denoiser: DenoiserProvenance
    scorer: ScorerProvenance | None = Field(description="null when scoring was off")
    device_uid: str


class StageTimings(_Section):
    """Seconds per pipeline stage; 0.0 for a skipped stage."""

    load: float
    adapt: float
    denoise: float
    uncertainty: float | None = _optional("the uncertainty stage (absent before it existed)")
    qc: float
    score: float
    write: float


class ResultDocument(_Section):
    """A job's ``result.json`` (module docstring)."""

    input: InputSection
    output: OutputSection
    qc: QcSection
    adaptation: AdaptationSection | None = Field(description="null when no adaptation ran")
    uncertainty: UncertaintyAvailable | UncertaintyUnavailable | None = Field(
        default=None,
        description="the voxel-wise uncertainty series: null when not asked for (absent before it existed); "
        "available false, with the reason, without the split pair",
    )
    provenance: Provenance
    timings_s: StageTimings
    notes: list[str] = Field(description="remarks for the reader: approximations made, what could not be done")

    @model_serializer(mode="wrap")
    def _without_absent_uncertainty(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        """A document that never had an ``uncertainty`` key (written before it existed) is dumped without one.
        (Unannotated on purpose: pydantic would take a return annotation as the dump's JSON schema.)"""
        dumped = handler(self)
        if isinstance(dumped, dict) and "uncertainty" not in self.model_fields_set:
            dumped.pop("uncertainty", None)
        return dumped

    def unknown_keys(self) -> list[str]:
        """Dotted paths of the keys no field of this model describes (kept as they were read)."""
        return _unknown(model=self, prefix="")


def _unknown(*, model: BaseModel, prefix: str) -> list[str]:
    found = [f"{prefix}{key}" for key in model.model_extra or {}]
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found += _unknown(model=value, prefix=f"{prefix}{name}.")
    return found
