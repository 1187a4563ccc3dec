"""Python's cyclic garbage collector during a job: fewer, cheaper collections.

A job allocates hundreds of thousands of small objects that live until it ends (the DICOM headers of every source
and derived slice, their elements and values). With the interpreter's default thresholds, the collector runs a
generation-0 pass every 700 allocations, and the older generations, which hold every object of the libraries
imported (torch, onnxruntime, pydicom, highdicom), are scanned again and again. On the GE series (267 slices) that
is about a fifth of the time around the network: ``python -m bench.speed.pipeline``.

:func:`fewer_collections` moves the objects alive when the job starts to the permanent generation (``gc.freeze``:
they are no longer scanned) and raises the generation-0 threshold to :data:`GEN0_THRESHOLD`; both are undone when the
last job running in the process ends. Garbage is still collected (reference counting frees almost everything;
cycles are collected, less often), so memory stays bounded by what the job holds.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["GEN0_THRESHOLD", "fewer_collections"]

GEN0_THRESHOLD = 10_000
"""Allocations (net of deallocations) between generation-0 collections during a job (the interpreter's default:
700)."""

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Within the block, freeze the objects alive at its start and raise the generation-0 threshold (module
    docstring). Nested and concurrent blocks (jobs in threads of one process) share one setting; the last one
    to end restores the interpreter's thresholds and unfreezes."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(GEN0_THRESHOLD, *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                gc.unfreeze()
                _saved = None
