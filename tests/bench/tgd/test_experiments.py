"""The TGD experiments script: its settings, its workload, and one quick run end to end on a tiny network."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from bench.tgd.experiments import SECTIONS, main, parse_config, workload
from bench.tgd.targets import TARGET_TITLES
from bench.tgd.training import TIMING_NAME
from models.adaptation.online import AdaptationSettings
from models.bundle import save_bundle
from models.dncnn import DnCNN, DnCNNConfig


def test_full_defaults_are_the_papers_design() -> None:
    config = parse_config([])
    assert config.sections == SECTIONS
    assert config.realisations == 10 and config.level == 0.1 and config.phi == 0.3
    assert config.phis == (0.3, 0.4, 0.5, 0.6)
    assert config.ft_studies == 7 and config.ft_batch == 32
    assert (config.v2.studies, config.v2.steps, config.v2.quick) == (60, 2400, False)
    assert config.adaptation == AdaptationSettings()


def test_quick_and_overrides() -> None:
    config = parse_config(["--quick", "--only", "online,kernel-drop", "--adapt-steps", "5", "--realisations", "3"])
    assert config.sections == ("kernel-drop", "online")
    assert config.quick and config.v2.quick and config.realisations == 3
    assert config.adaptation.steps == 5
    assert config.work != parse_config([]).work
    with pytest.raises(SystemExit):
        parse_config(["--only", "tables"])
    with pytest.raises(SystemExit):
        parse_config(["--realisations", "1"])


def test_the_workload_follows_the_sections_and_skips_a_finished_v2_net(tmp_path: Path) -> None:
    config = parse_config(["--quick", "--only", "kernel-drop", "--work", str(tmp_path)])
    work = workload(config=config)
    assert work.drop_studies == 3 and work.drop_networks == 4 + 7
    assert work.v2_shards == work.v2_steps == work.ft_steps == work.online_studies == 0
    tuned = workload(config=parse_config(["--quick", "--only", "fine-tuning", "--work", str(tmp_path)]))
    assert (tuned.v2_shards, tuned.v2_steps, tuned.eval_studies, tuned.ft_studies) == (3, 4, 2, 2)
    (tmp_path / "v2-net").mkdir()
    (tmp_path / "v2-net" / TIMING_NAME).write_text("{}")
    done = workload(config=parse_config(["--quick", "--only", "fine-tuning", "--work", str(tmp_path)]))
    assert done.v2_shards == done.v2_steps == 0


@pytest.mark.slow
def test_a_quick_run_prints_every_section_and_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    weights = tmp_path / "weights"
    model = DnCNN(config=DnCNNConfig(width=6, depth=4))
    save_bundle(model=model, directory=weights, name="tiny", version="0", extra={})
    report = tmp_path / "tgd.json"
    main(["--base", str(weights), "--quick", "--work", str(tmp_path / "work"), "--json", str(report)])
    out = capsys.readouterr().out
    for title in (
        "Plan (estimated minutes)",
        "Kernel drop (paper Fig. 4)",
        "Kernel drop layer by layer",
        "Fine-tuning (paper Table 1)",
        "Ensemble lesion bias (%) per lesion",
        "Online learning",
    ):
        assert title in out, title
    for title in TARGET_TITLES.values():
        assert title in out
    document = json.loads(report.read_text())
    results = document["results"]
    assert set(results) == set(SECTIONS)
    assert [row["phi"] for row in results["kernel-drop"]["rows"]] == [0.3, 0.4, 0.5, 0.6]
    networks = [net["network"] for net in results["fine-tuning"]["networks"]]
    assert networks == ["input", "v1-net", "v2-net", "FT-net", "TGD-net"]
    methods = [m["method"] for m in results["online"]["studies"][0]["methods"]]
    assert methods == ["input", "base", "TGD-N2N", "TGD²-N2N", "N2N, no masks"]
    for study in results["online"]["studies"]:
        assert all(m["ood_error_pct"] is not None and math.isfinite(m["ood_error_pct"]) for m in study["methods"])
        steps = [method["steps"] for method in study["methods"]]
        assert steps[2] == steps[4] == 3 and steps[3] == 6  # TGD-N2N, N2N without masks; TGD² adds a round
    assert {check["target"] for check in [*results["fine-tuning"]["checks"], *results["online"]["checks"]]} == set(
        TARGET_TITLES
    )
