"""The budget and hyper-parameters of one per-study adaptation (:mod:`models.adaptation.online`), without torch:
the CLI and the pipeline build them before knowing whether an adaptation runs."""

from __future__ import annotations

from dataclasses import dataclass

from imaging.errors import InputError

__all__ = ["AdaptationSettings"]


@dataclass(frozen=True, kw_only=True)
class AdaptationSettings:
    """Budget and hyper-parameters of one adaptation (recorded in result.json).

    Attributes:
        phi: KSE threshold; kernels below it are retrained.
        steps: TGD steps at most; max_seconds: wall-clock budget of the training loop.
        batch, patch: patches per step and their side, voxels.
        lr: Adam learning rate; clip_norm: gradient clip.
        seed: seeds the pair sampling.
        hot_share: share of patch centres drawn towards hot structure (:func:`models.adaptation.pairs.hot_weights`).
        contrast_weight: λ of the loss weights from the input (:func:`models.training.loss.input_contrast_weights`,
            σ = 3 voxels); 0 is plain MSE.
        average_decay: decay of the moving average of the trainable weights that becomes the adapted network
            (0 ≤ d < 1; 0 keeps the last step's weights). The average starts at the base weights, so a run cut
            short by ``max_seconds`` stays near the base (after n steps the base keeps a weight d**n: 0.05 at
            300 steps of 0.99).
        focus_share: share of split-pair patch centres drawn where the base network disagrees with the splits
            beyond their noise (:mod:`models.adaptation.focus`); focus_weight: μ of the loss weights
            ``1 + μ·excess`` there. Both 0: no focus map is made. Split pairs only (single-series adaptation has no
            second half to measure the noise with). Off by default: on the online studies of
            ``python -m bench.tgd.online_variants`` (``bench/results/tgd_online_variants-sparse.txt``) 0.5 and 4 left
            the hot bladder's ROI error as it was (1.73 against 1.71 %) and raised its liver CoV from 7.80 to 9.01 %.
        rounds: TGDⁿ: the masks are re-scored by KSE on the adapted network and it is trained again, ``steps``
            (and ``max_seconds``) per round.
    """

    phi: float = 0.3
    steps: int = 300
    max_seconds: float = 90.0
    batch: int = 16
    patch: int = 48
    lr: float = 2e-4
    clip_norm: float = 1.0
    seed: int = 0
    hot_share: float = 0.0
    contrast_weight: float = 0.0
    average_decay: float = 0.99
    focus_share: float = 0.0
    focus_weight: float = 0.0
    rounds: int = 1

    @property
    def focused(self) -> bool:
        """Whether split pairs need the focus map (a share or a weight is set)."""
        return self.focus_share > 0 or self.focus_weight > 0

    def __post_init__(self) -> None:
        counts = self.steps >= 1 and self.max_seconds > 0 and self.batch >= 1 and self.patch >= 8
        shares = 0 <= self.hot_share <= 1 and self.contrast_weight >= 0 and 0 <= self.average_decay < 1
        focus = 0 <= self.focus_share <= 1 and self.focus_weight >= 0 and 1 <= self.rounds <= 4
        if not (0 < self.phi <= 1 and counts and shares and focus):
            raise InputError(
                "Adaptation settings need 0 < phi ≤ 1, steps ≥ 1, max_seconds > 0, batch ≥ 1, patch ≥ 8, "
                "0 ≤ hot_share ≤ 1, contrast_weight ≥ 0, 0 ≤ average_decay < 1, 0 ≤ focus_share ≤ 1, "
                "focus_weight ≥ 0 and 1 ≤ rounds ≤ 4, got "
                f"phi={self.phi}, steps={self.steps}, max_seconds={self.max_seconds}, batch={self.batch}, "
                f"patch={self.patch}, hot_share={self.hot_share}, contrast_weight={self.contrast_weight}, "
                f"average_decay={self.average_decay}, focus_share={self.focus_share}, "
                f"focus_weight={self.focus_weight}, rounds={self.rounds}.",
                check="adapt_settings",
            )
