"""Strict writing: every key the pipeline writes into result.json is one the typed document describes."""

from __future__ import annotations

import json
from pathlib import Path

from core.adapt import AdaptMode
from core.jobs.result import ResultDocument
from core.strength import Strength
from models.adaptation.settings import AdaptationSettings
from models.bundle import BundleInfo
from models.iqa.bundle import ScorerInfo
from workers.pipeline.job import ProcessRequest, run_process
from workers.pipeline.write import RESULT_NAME


def test_the_written_document_is_fully_typed(
    small_series_dir: Path, random_bundle_info: BundleInfo, random_scorer_info: ScorerInfo, tmp_path: Path
) -> None:
    request = ProcessRequest(
        input_dir=small_series_dir,
        out_dir=tmp_path / "o",
        weights_dir=random_bundle_info.directory,
        adapt=AdaptMode.SINGLE,
        adaptation=AdaptationSettings(steps=2, batch=2, patch=16, phi=0.5, seed=3),
        scorer_dir=random_scorer_info.directory,
    )
    result = run_process(request=request)
    written = (tmp_path / "o" / RESULT_NAME).read_text()
    document = ResultDocument.model_validate_json(written)
    assert document.unknown_keys() == []
    assert document.adaptation is not None and document.adaptation.base is not None
    assert document.qc.activity_factor is not None and document.input.scores is not None
    assert (document.provenance.denoiser.strength, document.provenance.denoiser.blend) == (Strength.MEDIUM, 0.75)
    assert document.model_dump(mode="json") == result == json.loads(written)
    assert json.dumps(result, indent=2) + "\n" == written
