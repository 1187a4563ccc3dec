"""A stage's fraction as the job's overall progress: every pipeline stage has its share, in order."""

from __future__ import annotations

import pytest

from core.jobs.progress import RUNNING_CAP, STAGE_SHARES, percent
from workers.pipeline.result import STAGES


def test_every_stage_of_the_pipeline_has_a_share_in_its_order() -> None:
    assert list(STAGE_SHARES) == list(STAGES) and sum(STAGE_SHARES.values()) == 100.0


def test_progress_only_moves_forward_through_the_stages() -> None:
    points = [percent(stage=stage, fraction=fraction) for stage in STAGES for fraction in (0.0, 0.5, 1.0)]
    assert points == sorted(points) and points[0] == 0.0 and points[-1] == RUNNING_CAP
    assert percent(stage="uncertainty", fraction=0.0) == percent(stage="denoise", fraction=1.0)
    with pytest.raises(ValueError, match="'stage'"):
        percent(stage="polish", fraction=0.5)
