"""Atheris harness over petiq's input parsers: ``python -m tests.fuzz.harness TARGET CORPUS_DIR [libFuzzer flags]``.

Targets:

- ``reader``: the bytes are one DICOM file, read by ``read_pet_series(source=[data])``.
- ``multipart``: the bytes are a STOW-RS ``multipart/related`` body (boundary :data:`BOUNDARY`), fed to
  :class:`service.dicomweb.multipart.MultipartSpooler` in two chunks split where the first byte says.

Any exception that is not a :class:`imaging.errors.PetiqError` is a finding (the spooler's documented errors,
MalformedRequestError and TooLargeError, are PetiqErrors). Not a test module: pytest collects
``tests/fuzz/test_fuzz.py``, which runs this for a bounded time.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["imaging", "service", "pydicom", "python_multipart"]):
    from imaging.dicom.reader import read_pet_series
    from imaging.errors import PetiqError
    from service.dicomweb.multipart import MultipartSpooler

BOUNDARY = b"petiq-fuzz"
_SPOOL = Path(tempfile.mkdtemp(prefix="petiq-fuzz-"))
atexit.register(shutil.rmtree, _SPOOL, ignore_errors=True)  # the process that imported the harness removes it


def read_one(data: bytes) -> None:
    """One fuzz input through the series reader."""
    with contextlib.suppress(PetiqError):
        read_pet_series(source=[data])


def parse_multipart(data: bytes) -> None:
    """One fuzz input through the STOW-RS multipart spooler (1 MiB body limit)."""
    split = data[0] if data else 0
    try:
        with MultipartSpooler(boundary=BOUNDARY, directory=_SPOOL, max_bytes=1 << 20) as spooler:
            spooler.write(data[1 : 1 + split])
            spooler.write(data[1 + split :])
            spooler.finish()
    except PetiqError:
        pass


TARGETS: dict[str, Callable[[bytes], None]] = {"reader": read_one, "multipart": parse_multipart}


def main(argv: list[str]) -> None:
    """``argv``: the target name, then libFuzzer's arguments (corpus directories, ``-max_total_time=N``, ...)."""
    target = TARGETS[argv[1]]
    warnings.simplefilter("ignore")  # pydicom warns on every odd value; warnings are not findings
    atheris.Setup([argv[0], *argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
