"""Stage ``score``: GQR, PR and DC of the input and the denoised series (:mod:`models.iqa`).

Both volumes are scored with the same patch positions (same seed), so the two score sets differ by the image
content only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imaging.volume import PetVolume
from models.iqa.bundle import Scorer, load_scorer
from models.iqa.scoring import DEFAULT_PATCH_SEED, score_volume

__all__ = ["open_scorer", "score_pair"]


def open_scorer(*, directory: Path) -> Scorer:
    """The scorer in ``directory``; InputError (check ``scorer_weights``) when it is unusable."""
    return load_scorer(directory=directory)


def score_pair(
    *, scorer: Scorer, before: PetVolume, after: PetVolume, scale: float | None = None, seed: int = DEFAULT_PATCH_SEED
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``scores`` sections of the input ``before`` and the output ``after`` (``(z, y, x)`` volumes);
    ``scale``: the input's activity scale when the denoise stage computed it."""
    scores_in = score_volume(volume=before.voxels, scorer=scorer, seed=seed, scale=scale)
    scores_out = score_volume(volume=after.voxels, scorer=scorer, seed=seed)
    return scores_in.to_dict(), scores_out.to_dict()
