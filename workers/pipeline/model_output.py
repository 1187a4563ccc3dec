"""Where ``--save-adapted-model PATH`` goes, decided before any work starts.

- ``PATH`` inside the output folder ``OUT``: the state dict is written into the staged output at the same
  relative place, so it appears with the rest of ``OUT`` or not at all. It may not be ``OUT`` itself nor collide
  with what petiq writes there (``denoised/``, ``uncertainty/``, ``scores-sr.dcm``, ``result.json``).
- ``PATH`` elsewhere: it must not exist (nothing is overwritten), its folder must be a folder or creatable, and it
  may not lie inside an input series folder (the series would gain a file).
- ``PATH`` with no adaptation to run (``--adapt off``, or ``auto`` without splits) is refused: nothing would be
  written.

Each refusal is an :class:`~imaging.errors.InputError` with check ``output_path`` naming the argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from imaging.errors import InputError
from workers.pipeline.write import DENOISED_DIR, RESULT_NAME, SR_NAME, UNCERTAINTY_DIR

__all__ = ["ModelTarget", "model_target"]

_RESERVED = (DENOISED_DIR, UNCERTAINTY_DIR, RESULT_NAME, SR_NAME)
_CHECK = "output_path"
_ARGUMENT = "Argument 'save_adapted_model' (--save-adapted-model)"


@dataclass(frozen=True, kw_only=True)
class ModelTarget:
    """Where the adapted state dict goes: ``inside`` the output folder (a relative path) or ``outside`` it."""

    inside: Path | None = None
    outside: Path | None = None


def _refuse(reason: str, path: Path) -> InputError:
    return InputError(f"{_ARGUMENT} {reason}, got {path}.", check=_CHECK, path=str(path))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _inside_target(*, relative: Path, path: Path) -> ModelTarget:
    if relative == Path("."):
        raise _refuse("should be a file path, not the output folder itself", path)
    if relative.parts[0] in _RESERVED:
        raise _refuse(f"should not be or lie in {relative.parts[0]} of the output folder (petiq writes it)", path)
    return ModelTarget(inside=relative)


def model_target(
    *, path: Path | None, out_dir: Path, inputs: Sequence[Path | None], adapts: bool
) -> ModelTarget | None:
    """The checked target of the adapted model (module docstring); None when no model is to be saved.

    Args:
        path: the requested file, or None.
        out_dir: the job's output folder (need not exist yet).
        inputs: the input series folders (the series, the splits; None entries ignored).
        adapts: whether an adaptation will run.

    Raises:
        InputError: check ``output_path``, for any conflict (module docstring).
    """
    if path is None:
        return None
    wanted = Path(path).absolute().resolve()
    if not adapts:
        raise _refuse("needs an adaptation to save (--adapt single or n2n-split, or auto with splits)", wanted)
    out = Path(out_dir).absolute().resolve()
    if _within(wanted, out):
        return _inside_target(relative=wanted.relative_to(out), path=wanted)
    if wanted.exists() or wanted.is_symlink():
        raise _refuse("should be a new file (nothing is overwritten); it exists", wanted)
    existing = next((parent for parent in wanted.parents if parent.exists()), None)
    if existing is not None and not existing.is_dir():
        raise _refuse(f"should be in a folder; {existing} is a file", wanted)
    for folder in (Path(item).absolute().resolve() for item in inputs if item is not None):
        if _within(wanted, folder):
            raise _refuse(f"should not lie in the input folder {folder}", wanted)
    return ModelTarget(outside=wanted)
