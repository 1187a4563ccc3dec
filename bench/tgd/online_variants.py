"""TGD-N2N variants on the online studies (catheter, hot bladder): what the adaptation's options change.

::

    python -m bench.tgd.online_variants [--base models/weights/dncnn] [--realisations 10] [--threads N]

For each online study of :mod:`bench.tgd.experiments` (10 % counts, adapted on realisation 0's half-count
splits, R full-count realisations denoised), the input, the base network and TGD-N2N with:

- ``default``: :class:`~models.adaptation.online.AdaptationSettings` as shipped (300 steps, uniform patches, MSE,
  weight average of decay 0.99);
- ``no averaging``: the last step's weights (the default before weight averaging);
- ``hot 0.5``: half the patch centres drawn towards hot structure (``hot_share``);
- ``λ 8``: the loss weighted by the input's local contrast (``contrast_weight``);
- ``hot 0.5 + λ 8`` and ``hot 0.5 + λ 8 + 900 steps`` (about 3 × the default budget);
- ``avg 0.95`` / ``avg 0.98``: the moving average of the weights with that decay (``average_decay``; every other
  variant has the default's 0.99, except ``no averaging``);
- ``lr 1e-4``: half the default learning rate; ``avg 0.98 + lr 1e-4``; ``avg 0.98 + φ 0.2`` (fewer kernels move);
- issue 22 (a sparse base with idle channels; the default regrows): ``no regrow`` (TGD as before regrowing:
  flagged producer rows only, consumer columns frozen; :data:`NO_REGROW`), ``focus``, ``focus 0.5 only`` and
  ``focus μ 4 only`` (the OOD focus of :mod:`models.adaptation.focus` with ``focus_share`` 0.5 and ``focus_weight``
  4, or only its draw, or only its loss weights; ``bench/results/tgd_online_variants-sparse.txt`` was run while the
  focus was the default, so its ``default`` and ``oracle`` rows are today's ``focus`` and ``oracle + focus``, and
  its ``no focus`` and ``oracle without focus`` rows today's ``default`` and ``oracle``), ``TGD²`` (a second
  round on KSE re-scored on the adapted network, 300 more steps) and
  ``oracle + focus``;
- ``oracle`` / ``oracle + hot 0.5``: the same TGD steps, but each pair's target is the noise-free reconstruction
  (:data:`ORACLES`; impossible on a patient): whether a failure is the Noise2Noise target's noise or what TGD can
  change in the network at all;
- ``oracle + every layer`` and ``oracle + every layer + full-count input``: that oracle with every kernel of every
  layer trainable (:data:`EVERY_LAYER`, no TGD masks), the second fed realisation 0's full-count series instead of
  the halves (:data:`FULL_COUNT_INPUT`): whether any training of this network on the study, in the same steps,
  could cut the ROI error.

Every variant runs all its steps (no wall-clock budget), so a loaded machine changes the seconds, not the result.

``--variants NAME,NAME`` runs only those (``default`` is always run, as the reference).

Columns: the mean |error| over the OOD ROI and the realisations (% of the reference mean; the experiments' OOD
error), the error of the ensemble mean (the part that is bias, not noise), the signed mean bias, and the liver
CoV (%), all against the noise-free reconstruction.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from bench.denoise.scores import liver_cov
from bench.tgd.cases import online_cases, simulate_case
from bench.tgd.metrics import roi_relative_error
from bench.tgd.sections import denoise_all, series_stack
from imaging.simulation.study import SimulatedStudy
from models.adaptation.focus import base_output, focus_excess
from models.adaptation.online import AdaptationSettings, adapt_network
from models.adaptation.pairs import split_batches
from models.bundle import load_adaptable_model, load_bundle_info
from models.dncnn import DnCNN
from models.tgd.layer_masks import layer_masks
from models.tgd.masks import tgd_masks

__all__ = ["EVERY_LAYER", "FULL_COUNT_INPUT", "NO_REGROW", "ORACLES", "VARIANTS", "main", "roi_figures"]

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

_STEPS_BOUND = math.inf  # every variant runs its steps whatever the load: they are compared at equal steps

VARIANTS: dict[str, AdaptationSettings] = {
    "default": AdaptationSettings(max_seconds=_STEPS_BOUND),
    "hot 0.5": AdaptationSettings(hot_share=0.5, max_seconds=_STEPS_BOUND),
    "λ 8": AdaptationSettings(contrast_weight=8.0, max_seconds=_STEPS_BOUND),
    "hot 0.5 + λ 8": AdaptationSettings(hot_share=0.5, contrast_weight=8.0, max_seconds=_STEPS_BOUND),
    "hot 0.5 + λ 8 + 900 steps": AdaptationSettings(
        hot_share=0.5, contrast_weight=8.0, steps=900, max_seconds=_STEPS_BOUND
    ),
    "no averaging": AdaptationSettings(average_decay=0.0, max_seconds=_STEPS_BOUND),
    "avg 0.95": AdaptationSettings(average_decay=0.95, max_seconds=_STEPS_BOUND),
    "avg 0.98": AdaptationSettings(average_decay=0.98, max_seconds=_STEPS_BOUND),
    "lr 1e-4": AdaptationSettings(lr=1e-4, max_seconds=_STEPS_BOUND),
    "avg 0.98 + lr 1e-4": AdaptationSettings(average_decay=0.98, lr=1e-4, max_seconds=_STEPS_BOUND),
    "avg 0.98 + φ 0.2": AdaptationSettings(average_decay=0.98, phi=0.2, max_seconds=_STEPS_BOUND),
    "no regrow": AdaptationSettings(max_seconds=_STEPS_BOUND),
    "focus": AdaptationSettings(focus_share=0.5, focus_weight=4.0, max_seconds=_STEPS_BOUND),
    "focus 0.5 only": AdaptationSettings(focus_share=0.5, focus_weight=0.0, max_seconds=_STEPS_BOUND),
    "focus μ 4 only": AdaptationSettings(focus_share=0.0, focus_weight=4.0, max_seconds=_STEPS_BOUND),
    "TGD²": AdaptationSettings(rounds=2, max_seconds=_STEPS_BOUND),
    "oracle + focus": AdaptationSettings(focus_share=0.5, focus_weight=4.0, max_seconds=_STEPS_BOUND),
    "oracle": AdaptationSettings(max_seconds=_STEPS_BOUND),
    "oracle + hot 0.5": AdaptationSettings(hot_share=0.5, max_seconds=_STEPS_BOUND),
    "oracle + every layer": AdaptationSettings(max_seconds=_STEPS_BOUND),
    "oracle + every layer + full-count input": AdaptationSettings(max_seconds=_STEPS_BOUND),
}
ORACLES = frozenset(
    {
        "oracle",
        "oracle + hot 0.5",
        "oracle + every layer",
        "oracle + every layer + full-count input",
        "oracle + focus",
    }
)
"""Variants whose target is the noise-free reconstruction instead of the other half (not possible on a patient):
what TGD could reach on the study without the noise of a Noise2Noise target."""
EVERY_LAYER = frozenset({"oracle + every layer", "oracle + every layer + full-count input"})
"""Variants that train every kernel of every conv layer, the last included (no TGD masks): what any training of
the network on the study could reach in the same steps."""
NO_REGROW = frozenset({"no regrow"})
"""Variants under TGD's masks without regrowing (:func:`models.tgd.masks.tgd_masks` ``regrow=False``)."""
FULL_COUNT_INPUT = frozenset({"oracle + every layer + full-count input"})
"""Variants whose inputs are realisation 0's full-count series instead of its half-count splits: the noise level
the adapted network then denoises."""


@dataclass(frozen=True, kw_only=True)
class RoiFigures:
    """Errors inside the ROI, % of its reference mean: mean |error|, |error| of the ensemble mean, signed bias."""

    mae_pct: float
    ensemble_pct: float
    bias_pct: float


def roi_figures(*, images: FloatArray, reference: FloatArray, mask: BoolArray) -> RoiFigures:
    """:class:`RoiFigures` of ``images (R, z, y, x)`` against ``reference (z, y, x)`` over ``mask (z, y, x)``."""
    roi = images[:, mask].astype(np.float64)
    truth = reference[mask].astype(np.float64)
    mean = float(truth.mean()) if truth.size else 0.0
    if not mean > 0:
        raise ValueError("Argument 'mask' should be a non-empty ROI with a positive reference mean.")
    return RoiFigures(
        mae_pct=roi_relative_error(images=images, reference=reference, mask=mask),
        ensemble_pct=float(np.abs(roi.mean(axis=0) - truth).mean() / mean * 100.0),
        bias_pct=float((roi.mean() - mean) / mean * 100.0),
    )


def _row(*, name: str, images: FloatArray, study: SimulatedStudy, mask: BoolArray, note: str) -> str:
    figures = roi_figures(images=images, reference=study.reference, mask=mask)
    cov = liver_cov(images=images, phantom=study.phantom)
    return (
        f"| {name} | {figures.mae_pct:.2f} | {figures.ensemble_pct:.2f} | {figures.bias_pct:+.2f} | "
        f"{cov:.2f} | {note} |"
    )


def _case_rows(
    *, base: DnCNN, case_index: int, realisations: int, device: torch.device, variants: Sequence[str]
) -> list[str]:
    case = online_cases()[case_index]
    study = simulate_case(case=case, levels=(0.1,), realisations=realisations, split=True, quick=False)
    mask = study.phantom.masks[f"ood:{case.ood[0]}"]
    a, b = (series_stack(study=study, split=split)[0] for split in ("A", "B"))
    full = series_stack(study=study, split=None)
    rows = [f"\n## {case.name} ({int(mask.sum())} ROI voxels)\n"]
    rows += ["| method | OOD-ROI mean abs error % | ensemble-mean error % | mean bias % | liver CoV % | adaptation |"]
    rows += ["|---|---:|---:|---:|---:|---|"]
    rows.append(_row(name="input", images=full, study=study, mask=mask, note=""))
    base_images = denoise_all(model=base, volumes=full, device=device)
    rows.append(_row(name="base", images=base_images, study=study, mask=mask, note=""))
    focus = None
    if any(VARIANTS[name].focused for name in variants):
        focus = focus_excess(a=a, b=b, base=base_output(model=base, a=a, b=b))
        inside = focus.excess[mask]
        flagged = f"{100 * focus.body_share:.2f} % of the body and {100 * float((inside > 0).mean()):.0f} % of the ROI"
        mean = f"mean excess {float(inside.mean()):.2f} in the ROI, {float(focus.excess.mean()):.3f} overall"
        rows.insert(1, f"OOD focus: {flagged} flagged; {mean}\n")
    for name in variants:
        settings = VARIANTS[name]
        rng = np.random.default_rng(settings.seed)
        clean = study.reference if name in ORACLES else None
        inputs = (full[0], full[0]) if name in FULL_COUNT_INPUT else (a, b)
        batches = split_batches(
            a=inputs[0],
            b=inputs[1],
            patch=settings.patch,
            batch=settings.batch,
            rng=rng,
            hot_share=settings.hot_share,
            clean=clean,
            focus=focus.excess if focus is not None and settings.focused else None,
            focus_share=settings.focus_share,
            focus_weight=settings.focus_weight,
        )
        masks = layer_masks(model=base, layers=range(len(base.convs))) if name in EVERY_LAYER else None
        masks = tgd_masks(model=base, phi=settings.phi, regrow=False) if name in NO_REGROW else masks
        adapted, report = adapt_network(base=base, batches=batches, settings=settings, masks=masks)
        images = denoise_all(model=adapted, volumes=full, device=device)
        note = f"{report.steps} steps, {report.seconds:.0f} s"
        rows.append(_row(name=f"TGD-N2N {name}", images=images, study=study, mask=mask, note=note))
        print(f"  {case.name}: {name} done", flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Print the table of every online study (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=Path("models/weights/dncnn"), help="the base bundle folder")
    parser.add_argument("--realisations", type=int, default=10, help="noise realisations R (≥ 2)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: every core)")
    parser.add_argument("--variants", default=None, help="comma-separated variant names (default: all)")
    args = parser.parse_args(argv)
    chosen = list(VARIANTS) if args.variants is None else list(dict.fromkeys(["default", *args.variants.split(",")]))
    unknown = sorted(set(chosen) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown --variants {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    if args.realisations < 2:
        parser.error("--realisations should be ≥ 2 (the liver CoV is an ensemble figure)")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device("cpu")
    info = load_bundle_info(directory=args.base)
    base = load_adaptable_model(info=info, device=device)
    print(f"TGD-N2N variants; base {info.name} {info.version} (sha256 {info.onnx_sha256[:12]}); 10 % counts")
    lines: list[str] = []
    for index in range(len(online_cases())):
        lines += _case_rows(base=base, case_index=index, realisations=args.realisations, device=device, variants=chosen)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
