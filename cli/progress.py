"""A one-line progress bar for a terminal: ``denoise  [##########----------]  50%``, redrawn in place."""

from __future__ import annotations

from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Draws ``stage [bar] percent`` on ``stream`` with carriage returns; silent when ``stream`` is not a terminal.

    Args:
        stream: where to draw (stderr, so stdout stays clean for results).
        width: characters of the bar itself.
    """

    def __init__(self, *, stream: TextIO, width: int = 30) -> None:
        if width < 1:
            raise ValueError(f"Argument 'width' should be at least 1, got {width}.")
        self.stream = stream
        self.width = width
        self.enabled = stream.isatty()
        self._last = ""

    def line(self, *, stage: str, fraction: float) -> str:
        """The bar for ``stage`` at ``fraction`` (clipped to 0–1), without the carriage return."""
        done = min(max(fraction, 0.0), 1.0)
        filled = round(done * self.width)
        return f"{stage:<8} [{'#' * filled}{'-' * (self.width - filled)}] {done * 100:3.0f}%"

    def update(self, stage: str, fraction: float) -> None:
        """Redraw for ``stage`` at ``fraction``; only when the text changed, and only on a terminal."""
        text = self.line(stage=stage, fraction=fraction)
        if self.enabled and text != self._last:
            self.stream.write("\r" + text)
            self.stream.flush()
            self._last = text

    def close(self) -> None:
        """Clear the bar's line, so what follows starts on a clean line."""
        if self.enabled and self._last:
            self.stream.write("\r" + " " * len(self._last) + "\r")
            self.stream.flush()
            self._last = ""
