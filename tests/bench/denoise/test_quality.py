"""The quality benchmark script: one quick end-to-end run on a tiny untrained network."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from bench.denoise.cases import held_out_cases
from bench.denoise.quality import TARGET_TITLES, main
from models.bundle import save_bundle
from models.dncnn import DnCNN, DnCNNConfig


@pytest.mark.slow
def test_a_quick_run_prints_every_target_and_writes_every_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    torch.manual_seed(0)
    weights = tmp_path / "weights"
    save_bundle(
        model=DnCNN(config=DnCNNConfig(width=4, depth=3)), directory=weights, name="tiny", version="0", extra={}
    )
    report = tmp_path / "quality.json"
    levels = (0.05, 0.1)
    main(
        [
            "--weights",
            str(weights),
            "--quick",
            "--levels",
            "0.05,0.1",
            "--fwhm-mm",
            "0,10",
            "--nlm-k",
            "4",
            "--ensemble",
            "2",
            "--json",
            str(report),
        ]
    )
    out = capsys.readouterr().out
    assert "ensemble 2" in out.splitlines()[0]
    for title in TARGET_TITLES.values():
        assert f"PASS  {title}" in out or f"FAIL  {title}" in out
    document = json.loads(report.read_text())
    studies = document["studies"]
    assert [study["case"]["name"] for study in studies] == [case.name for case in held_out_cases(studies=1)]
    lesions = sum(len(study["lesions"]) for study in studies if study["case"]["kind"] == "torso")
    kinds = [check["target"] for check in document["targets"]]
    assert kinds.count("psnr") == 3 * len(levels)
    assert kinds.count("matched_contrast") == 2 * len(levels)
    assert kinds.count("lesion_bias") == lesions * len(levels)
    assert set(document["seconds"]) >= {"simulate", "gaussian", "nlm", "petiq", "metrics"}
    passed = sum(check["passed"] for check in document["targets"] if check["target"] == "lesion_bias")
    counts = re.search(r"check on every method: (.*); petiq's bias SE over realisations exceeds", out)
    assert counts is not None
    tallies = dict(part.split(" ") for part in counts.group(1).split(", "))
    assert set(tallies) == {"input", "gaussian", "nlm", "petiq"}
    assert {tally.split("/")[1] for tally in tallies.values()} == {str(lesions * len(levels))}
    assert tallies["petiq"] == f"{passed}/{lesions * len(levels)}"
