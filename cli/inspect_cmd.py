"""``petiq inspect DIR [--json]``: a PET series' summary.

JSON keys: ``modality, manufacturer, n_slices, shape, spacing_mm, units, suv_factor, series_uid, radionuclide``;
shape and spacing as ``[z, y, x]``; ``suv_factor`` (SUVbw per Bq/ml) is null when not computable. The text listing
adds the reason in that case. ``radionuclide`` is ``{name, identified_from, positron_emitter, tracer}``
(:mod:`imaging.dicom.radionuclide`; nulls where unknown). A series petiq would refuse to process (not a positron
emitter) is still summarised: that is what inspect is for.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from imaging.dicom.reader import PetSeries, read_pet_series
from imaging.volume import Units

__all__ = ["format_text", "register", "run", "summarise"]


def register(subparsers: Any) -> None:
    """Add ``inspect`` to the ``petiq`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser("inspect", help="summarise a PET DICOM series")
    parser.add_argument("directory", metavar="DIR", help="folder holding one PET series")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)


def summarise(*, series: PetSeries) -> dict[str, Any]:
    """The summary of ``series`` as a JSON-ready mapping (keys in the documented order)."""
    volume = series.volume
    return {
        "modality": series.modality,
        "manufacturer": series.manufacturer,
        "n_slices": volume.shape[0],
        "shape": list(volume.shape),
        "spacing_mm": [round(value, 6) for value in volume.geometry.spacing_mm],
        "units": volume.units_raw if volume.units is Units.OTHER else volume.units.value,
        "suv_factor": volume.suv.factor,
        "series_uid": volume.uids.series_uid,
        "radionuclide": series.radionuclide.to_dict(),
    }


def format_text(*, summary: dict[str, Any], suv_reason: str | None) -> str:
    """``summary`` as aligned ``key  value`` lines; a null SUV factor shows ``suv_reason``."""
    shown = dict(summary)
    shown["shape"] = " x ".join(str(value) for value in summary["shape"])
    shown["spacing_mm"] = " x ".join(f"{value:g}" for value in summary["spacing_mm"])
    if summary["suv_factor"] is None:
        shown["suv_factor"] = f"null ({suv_reason})"
    else:
        shown["suv_factor"] = f"{summary['suv_factor']:.6g} (SUVbw per Bq/ml)"
    shown["manufacturer"] = summary["manufacturer"] or "(none)"
    shown["radionuclide"] = _radionuclide_text(summary["radionuclide"])
    width = max(len(key) for key in shown)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in shown.items())


def _radionuclide_text(radionuclide: dict[str, Any]) -> str:
    """E.g. ``F-18 (from RadionuclideCodeSequence), tracer FDG``; ``not identified`` when unknown."""
    name = radionuclide["name"]
    head = f"{name} (from {radionuclide['identified_from']})" if name else "not identified"
    if radionuclide["positron_emitter"] is False:
        head += ", not a positron emitter: petiq does not process it"
    return f"{head}, tracer {radionuclide['tracer'] or 'unknown'}"


def run(args: argparse.Namespace) -> int:
    """Read the series in ``args.directory`` and print its summary; InputError for unusable input."""
    series = read_pet_series(source=Path(args.directory), positron_only=False)
    summary = summarise(series=series)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_text(summary=summary, suv_reason=series.volume.suv.reason))
    return 0
