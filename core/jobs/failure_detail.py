"""The ``detail`` of a failed job's problem: what failed, in words, without server paths or a traceback.

A job's error is shown to API clients (``GET /v1/jobs/{id}``, the report page), who need to know what went wrong,
not where the server keeps its files nor its call stack; the worker log keeps both (``_LOG.exception``).

- A :class:`~imaging.errors.PetiqError` says what failed in its message; absolute file paths in it (an OSError's
  text, a folder named in a message) become ``…/<name>`` and only its first line is kept.
- Any other exception is unexpected: the detail names the stage, says what kind of failure it was, the
  exception's type (and, for an OSError, the system's reason, e.g. "No space left on device"), never its text,
  and that the details are in the worker log.
"""

from __future__ import annotations

import re

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded  # type: ignore[import-untyped]

from imaging.errors import PetiqError

__all__ = ["WORKER_LOG", "failure_detail", "without_paths"]

WORKER_LOG = "The details are in the worker log."

_QUOTED_PATH = re.compile(r"""(['"])(/[^'"\n]*)\1""")
_BARE_PATH = re.compile(r"(?<![\w.:/~…-])/(?!(?:v1|dicomweb)/)[^\s'\"]+")  # petiq's own API routes stay
_TRAILING = ".,;:)]}"
_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (SoftTimeLimitExceeded, "ran past its time limit"),
    (TimeLimitExceeded, "ran past its time limit"),
    (MemoryError, "ran out of memory"),
    (ConnectionError, "lost a connection"),
    (TimeoutError, "timed out"),
    (OSError, "hit a file or storage error"),
)


def _short(path: str) -> str:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return f"…/{name}" if name else "…"


def _bare(match: re.Match[str]) -> str:
    text = match.group(0)
    core = text.rstrip(_TRAILING)
    return _short(core) + text[len(core) :]


def without_paths(text: str) -> str:
    """``text``'s first line with every absolute file path replaced by ``…/<its last name>`` (petiq's own API
    routes, ``/v1/…`` and ``/dicomweb/…``, are kept); a traceback, or anything after the first line, is dropped."""
    first = text.split("Traceback (most recent call last)", 1)[0].strip().split("\n", 1)[0].strip()
    quoted = _QUOTED_PATH.sub(lambda match: match.group(1) + _short(match.group(2)) + match.group(1), first)
    return _BARE_PATH.sub(_bare, quoted)


def _unexpected(error: BaseException, stage: str | None) -> str:
    kind = next((words for cls, words in _KINDS if isinstance(error, cls)), "failed unexpectedly")
    reason = f": {error.strerror}" if isinstance(error, OSError) and error.strerror else ""
    where = f" during {stage}" if stage else ""
    return f"The job {kind}{where} ({type(error).__name__}{reason}). {WORKER_LOG}"


def failure_detail(*, error: BaseException, stage: str | None = None) -> str:
    """The problem ``detail`` of a job that failed with ``error`` at ``stage`` (None: before its first stage)."""
    if isinstance(error, PetiqError):
        detail = without_paths(error.message)
        return detail if detail == error.message else f"{detail} {WORKER_LOG}"
    return _unexpected(error, stage)
