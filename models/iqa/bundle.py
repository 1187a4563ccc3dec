"""The scorer's weights on disk: a folder with ``iqa.pt`` (torch state dict) and ``iqa.json`` (what it is), and
optionally ``iqa-pretext.pt``, the network after stage 1 (its count-level head is what the evaluation measures).

``iqa.json``::

    {"format": "petiq-iqa/1", "name", "version", "sha256" (of iqa.pt), "config": IqaConfig,
     "calibration": {"label", ...}, "patches": {"size", "per_plane", "mean_fraction", "normalisation"},
     "training": {...}}

The calibration label travels with every score (``calibration`` field). A site calibration writes a new folder
of the same format whose label names the site's scores.

torch is imported when weights are loaded or saved, not with this module: the pipeline names its types and
finds the shipped folder without torch.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imaging.atomic import write_atomic, write_json_atomic
from imaging.errors import InputError
from models.iqa.config import IqaConfig
from models.iqa.patches import MEAN_FRACTION, PATCH_SIZE, PATCHES_PER_PLANE

if TYPE_CHECKING:
    import torch

    from models.iqa.network import IqaNet

__all__ = [
    "FORMAT",
    "INFO_NAME",
    "PRETEXT_NAME",
    "STATE_NAME",
    "Scorer",
    "ScorerInfo",
    "load_pretext",
    "load_scorer",
    "save_scorer",
]

FORMAT = "petiq-iqa/1"
STATE_NAME = "iqa.pt"
INFO_NAME = "iqa.json"
PRETEXT_NAME = "iqa-pretext.pt"


@dataclass(frozen=True, kw_only=True)
class ScorerInfo:
    """What ``iqa.json`` says, and where the folder is."""

    directory: Path
    name: str
    version: str
    sha256: str
    calibration: str
    config: IqaConfig
    per_plane: int
    document: Mapping[str, Any]

    def provenance(self) -> dict[str, str]:
        """The ``provenance.scorer`` section of result.json."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256, "calibration": self.calibration}


@dataclass(frozen=True, kw_only=True)
class Scorer:
    """A loaded scorer: the network in eval mode on the CPU, and its info."""

    net: IqaNet
    info: ScorerInfo


def _write_state(*, path: Path, state: Mapping[str, torch.Tensor]) -> str:
    """Write a state dict atomically; returns its sha256."""
    import torch

    buffer = io.BytesIO()
    torch.save({key: value.detach().cpu() for key, value in state.items()}, buffer)
    data = buffer.getvalue()
    write_atomic(path=path, write=lambda handle: handle.write(data))
    return hashlib.sha256(data).hexdigest()


def save_scorer(
    *,
    net: IqaNet,
    directory: Path,
    name: str,
    version: str,
    calibration: Mapping[str, Any],
    training: Mapping[str, Any],
    pretext_state: Mapping[str, torch.Tensor] | None = None,
) -> ScorerInfo:
    """Write ``net`` (and the stage-1 ``pretext_state``) with its description into ``directory`` (created), each
    file atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    digest = _write_state(path=directory / STATE_NAME, state=net.state_dict())
    pretext = _write_state(path=directory / PRETEXT_NAME, state=pretext_state) if pretext_state else None
    document = {
        "format": FORMAT,
        "name": name,
        "version": version,
        "sha256": digest,
        "pretext_sha256": pretext,
        "config": net.config.to_dict(),
        "calibration": dict(calibration),
        "patches": {
            "size": PATCH_SIZE,
            "per_plane": PATCHES_PER_PLANE,
            "mean_fraction": MEAN_FRACTION,
            "normalisation": "activity_scale/1",
        },
        "training": dict(training),
    }
    write_json_atomic(path=directory / INFO_NAME, value=document)
    return _info(directory=directory, document=document)


def _info(*, directory: Path, document: Mapping[str, Any]) -> ScorerInfo:
    return ScorerInfo(
        directory=directory,
        name=str(document["name"]),
        version=str(document["version"]),
        sha256=str(document["sha256"]),
        calibration=str(document["calibration"]["label"]),
        config=IqaConfig(**document["config"]),
        per_plane=int(document["patches"]["per_plane"]),
        document=document,
    )


def _refuse(directory: Path, reason: str) -> InputError:
    return InputError(
        f"Argument 'weights' should be a scorer folder ({INFO_NAME}, {STATE_NAME}); {reason}.",
        check="scorer_weights",
        path=str(directory),
    )


def load_scorer(*, directory: Path) -> Scorer:
    """Load the scorer in ``directory``, checking its format and the state dict's sha256.

    Raises:
        InputError: missing or unreadable files, another format, or weights that do not match their digest
            (check ``scorer_weights``).
    """
    directory = Path(directory)
    try:
        document = json.loads((directory / INFO_NAME).read_text(encoding="utf-8"))
        state_bytes = (directory / STATE_NAME).read_bytes()
    except (OSError, ValueError) as error:
        raise _refuse(directory, f"could not read it: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _refuse(directory, f"{INFO_NAME} is not of format {FORMAT}")
    if hashlib.sha256(state_bytes).hexdigest() != document.get("sha256"):
        raise _refuse(directory, f"{STATE_NAME} does not match the sha256 in {INFO_NAME}")
    info = _info(directory=directory, document=document)
    return Scorer(net=_network(config=info.config, state=state_bytes), info=info)


def load_pretext(*, info: ScorerInfo) -> IqaNet | None:
    """The stage-1 network of the scorer ``info`` (eval mode, CPU), None when the folder has none.

    Raises:
        InputError: its file does not match the sha256 in ``iqa.json`` (check ``scorer_weights``).
    """
    path = info.directory / PRETEXT_NAME
    recorded = info.document.get("pretext_sha256")
    if not recorded or not path.is_file():
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != recorded:
        raise _refuse(info.directory, f"{PRETEXT_NAME} does not match the sha256 in {INFO_NAME}")
    return _network(config=info.config, state=data)


def _network(*, config: IqaConfig, state: bytes) -> IqaNet:
    """An :class:`~models.iqa.network.IqaNet` of ``config`` with the state dict serialised in ``state``, in eval
    mode on the CPU (torch is imported here)."""
    import torch

    from models.iqa.network import IqaNet

    net = IqaNet(config)
    net.load_state_dict(torch.load(io.BytesIO(state), map_location="cpu", weights_only=True))
    return net.eval()
