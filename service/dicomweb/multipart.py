"""Streaming reader of a ``multipart/related`` body: each part goes straight to a spool file, never to memory.

python-multipart's low-level :class:`MultipartParser` calls back with slices of the chunk being parsed; header
names and values can arrive in several pieces and are accumulated until the header ends. At most one chunk (plus
the parser's boundary look-behind) is held at a time, whatever the body's size.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

from core.errors import MalformedRequestError, TooLargeError
from core.storage.spool import SpooledFile, SpoolWriter, discard

__all__ = ["MultipartSpooler"]


class MultipartSpooler:
    """Feed a multipart body with :meth:`write`, then :meth:`finish`; parts are spooled under ``directory``.

    Use it as a context manager: on exit every spool file still there is deleted (stored ones were renamed away),
    also when spooling failed (a full or read-only volume: :class:`~core.errors.InsufficientStorageError`).

    Args:
        boundary: the boundary from the Content-Type (without the leading ``--``).
        directory: where the spool files go (on the storage volume, so storing is a rename).
        max_bytes: the body's size limit; :meth:`write` raises TooLargeError once it is passed.
    """

    def __init__(self, *, boundary: bytes, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.received = 0
        self.parts: list[SpooledFile] = []
        self._ended = False
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[str, str] = {}
        self._writer: SpoolWriter | None = None
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
                "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        name = self._field.decode("latin-1").strip().lower()
        self._headers[name] = self._value.decode("latin-1").strip()
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        self._writer = SpoolWriter(directory=self.directory, content_type=self._headers.get("content-type", ""))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._writer is not None:
            self._writer.write(data[start:end])

    def _part_end(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            self.parts.append(writer.close())  # a failed close deletes its file

    def _end(self) -> None:
        self._ended = True

    def write(self, chunk: bytes) -> None:
        """Parse the next ``chunk`` of the body.

        Raises:
            TooLargeError: the body passed ``max_bytes``.
            MalformedRequestError: the body is not valid multipart for this boundary.
            InsufficientStorageError: the storage volume is full or read-only (:class:`SpoolWriter`).
            OutputError: a part could not be spooled for another I/O error.
        """
        self.received += len(chunk)
        if self.received > self.max_bytes:
            raise TooLargeError(
                f"The request body exceeds the limit (max_request_bytes) of {self.max_bytes} bytes.",
                check="max_request_bytes",
            )
        try:
            self._parser.write(chunk)
        except MultipartParseError as error:
            raise MalformedRequestError(f"The multipart body is malformed: {error}", check="multipart") from error

    def finish(self) -> list[SpooledFile]:
        """The spooled parts, once the closing boundary was seen.

        Raises:
            MalformedRequestError: the body ended before its closing boundary, or held no part.
        """
        if not self._ended:
            raise MalformedRequestError("The multipart body ended before its closing boundary.", check="multipart")
        if not self.parts:
            raise MalformedRequestError("The multipart body holds no part.", check="multipart")
        return list(self.parts)

    def __enter__(self) -> MultipartSpooler:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.discard()

    def discard(self) -> None:
        """Delete every spool file (the ones already stored were renamed away and are left alone)."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        discard(self.parts)
