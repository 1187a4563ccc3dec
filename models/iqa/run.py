"""``petiq train scorer``: simulate and label the patients, fit the observer calibration, run both stages, save.

The run folder holds ``data/`` (the cached labelled patches, one file per patient), ``pretext.pt`` (the network
after stage 1: a rerun resumes from it), ``train-config.json``, ``train.log`` and finally the scorer bundle
(``iqa.pt``, ``iqa.json``).
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from imaging.atomic import write_atomic, write_json_atomic
from models.iqa.agreement import agreement
from models.iqa.bundle import ScorerInfo, save_scorer
from models.iqa.dataset import StudyPatches, load_or_simulate, patients
from models.iqa.labels import ObserverCalibration, fit_calibration
from models.iqa.network import IqaConfig, IqaNet
from models.iqa.training import Log, StageSettings, fit_stage, patch_table, predict_images

__all__ = ["PRETEXT_NAME", "ScorerTrainConfig", "observer_labels", "train_scorer"]

PRETEXT_NAME = "pretext.pt"


@dataclass(frozen=True, kw_only=True)
class ScorerTrainConfig:
    """One run: ``torso`` and ``brain`` patients with seeds from ``first_seed``; the two stages' steps."""

    torso: int = 40
    brain: int = 24
    first_seed: int = 5000
    per_plane: int = 100
    width: int = 16
    frozen_units: int = 3
    pretext_steps: int = 3000
    score_steps: int = 3000
    batch: int = 64
    lr: float = 2e-3
    seed: int = 0


def observer_labels(*, calibration: ObserverCalibration, studies: list[StudyPatches]) -> npt.NDArray[np.float64]:
    """The unrounded observer scores ``(v, 3)`` of every image of ``studies``, in table order."""
    rows = [calibration.scores(family=s.spec.family, q=q) for s in studies for q in s.q]
    return np.asarray(rows, dtype=np.float64)


def _pretext(
    *, net: IqaNet, config: ScorerTrainConfig, out: Path, table: Any, rng: np.random.Generator, log: Log
) -> None:
    path = out / PRETEXT_NAME
    if path.is_file():
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        log(f"pretext: resumed from {path}")
        return
    settings = StageSettings(steps=config.pretext_steps, batch=config.batch, lr=config.lr)
    fit_stage(net=net, table=table, targets=np.log10(table.levels), settings=settings, rng=rng, pretext=True, log=log)
    _, _, level = predict_images(net=net, table=table)
    log(f"pretext fit: mean |log10 count-level error| {np.abs(level - np.log10(table.levels)).mean():.3f}")
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    write_atomic(path=path, write=lambda handle: handle.write(buffer.getvalue()))


def train_scorer(*, config: ScorerTrainConfig, out: Path, log: Log) -> ScorerInfo:
    """Run ``config`` in ``out`` (module docstring); returns the saved scorer's info."""
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path=out / "train-config.json", value=asdict(config))
    torch.manual_seed(config.seed)
    specs = patients(torso=config.torso, brain=config.brain, first_seed=config.first_seed)
    log(f"data: {len(specs)} patients × 7 count levels (cached in {out / 'data'})")
    studies = load_or_simulate(specs=specs, work=out / "data", per_plane=config.per_plane)
    table = patch_table(studies=studies)
    calibration = fit_calibration(
        records=[(s.spec.family, lv, q) for s in studies for lv, q in zip(s.levels, s.q, strict=True)]
    )
    labels = observer_labels(calibration=calibration, studies=studies)
    log(f"data: {len(table.patches)} patches of {len(table.levels)} images")
    net = IqaNet(IqaConfig(width=config.width, frozen_units=config.frozen_units))
    _pretext(net=net, config=config, out=out, table=table, rng=np.random.default_rng(config.seed), log=log)
    pretext_state = {key: value.clone() for key, value in net.state_dict().items()}
    torch.manual_seed(config.seed + 1)  # stage 2 draws its own numbers: a resumed run equals an uninterrupted one
    settings = StageSettings(steps=config.score_steps, batch=config.batch, lr=config.lr / 2)
    rng = np.random.default_rng(config.seed + 1)
    fit_stage(net=net, table=table, targets=labels, settings=settings, rng=rng, pretext=False, log=log)
    mean, _, _ = predict_images(net=net, table=table)
    figures = agreement(predicted=mean, reference=labels)
    log("training fit (series, 0.5 grid): " + ", ".join(f"{m} MAE {f['mae']:.2f}" for m, f in figures.items()))
    mae = [figures[m]["mae"] for m in figures]
    training = {"config": asdict(config), "patients": [s.spec.patient_id for s in studies], "train_mae": mae}
    return save_scorer(
        net=net,
        directory=out,
        name="petiq-iqa",
        version="2",
        calibration=calibration.to_dict(),
        training=training,
        pretext_state=pretext_state,
    )
