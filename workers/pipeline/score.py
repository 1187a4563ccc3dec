"""Stage ``score``: GQR, PR and DC of the input and the denoised series (:mod:`models.iqa`).

Both volumes are scored with the same patch positions (same seed), so the two score sets differ by the image
content only.

Scoring never costs the job its denoised series: a volume the scorer cannot sample (too small, too few patches
above the activity threshold: check ``iqa_patches``) gives no scores for either series and the reason, which the
job records in its notes; the denoised series, the SR (without score groups) and result.json are written as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.errors import InputError
from imaging.volume import PetVolume
from models.iqa.bundle import Scorer, load_scorer
from models.iqa.scoring import DEFAULT_PATCH_SEED, score_volume

__all__ = ["NOT_SCORED", "PairScores", "open_scorer", "score_pair"]

NOT_SCORED = "No quality scores"
"""How the note that explains a job without scores begins."""
_PATCH_CHECK = "iqa_patches"


@dataclass(frozen=True, kw_only=True)
class PairScores:
    """The ``scores`` sections of the input and the output, both None when the scorer could not score, with the
    note that says why (None when scored)."""

    scores_in: dict[str, Any] | None
    scores_out: dict[str, Any] | None
    note: str | None = None


def open_scorer(*, directory: Path) -> Scorer:
    """The scorer in ``directory``; InputError (check ``scorer_weights``) when it is unusable."""
    return load_scorer(directory=directory)


def score_pair(
    *, scorer: Scorer, before: PetVolume, after: PetVolume, scale: float | None = None, seed: int = DEFAULT_PATCH_SEED
) -> PairScores:
    """The ``scores`` sections of the input ``before`` and the output ``after`` (``(z, y, x)`` volumes);
    ``scale``: the input's activity scale when the denoise stage computed it.

    A volume the scorer cannot sample gives no scores and the reason (module docstring); any other error is
    raised.
    """
    try:
        scores_in = score_volume(volume=before.voxels, scorer=scorer, seed=seed, scale=scale)
        scores_out = score_volume(volume=after.voxels, scorer=scorer, seed=seed)
    except InputError as error:
        if error.check != _PATCH_CHECK:
            raise
        size = " × ".join(str(n) for n in before.shape)
        note = f"{NOT_SCORED}: the scorer could not sample this {size} (z, y, x) volume ({error.message})"
        return PairScores(scores_in=None, scores_out=None, note=note)
    return PairScores(scores_in=scores_in.to_dict(), scores_out=scores_out.to_dict())
