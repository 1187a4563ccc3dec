"""What a C-STORE destination answered, instance by instance: how many it stored, the count of each status,
the instances it warned about (the first :data:`MAX_WARNINGS_KEPT`) and the one it refused."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from core.jobs.models import InstanceStatus

__all__ = ["MAX_WARNINGS_KEPT", "Tally"]

MAX_WARNINGS_KEPT = 20
"""Instances with a warning listed one by one (a series may warn on every slice; the counts hold them all)."""


@dataclass
class Tally:
    """The answers so far: ``stored`` instances, ``statuses`` (``"0x0000"`` → instances), ``warnings`` and
    ``failed`` (instances with a warning or failure status)."""

    stored: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    warnings: list[InstanceStatus] = field(default_factory=list)
    failed: list[InstanceStatus] = field(default_factory=list)

    def add(self, *, answer: InstanceStatus, stored: bool, success: bool) -> None:
        """Count ``answer``: ``stored`` (success or warning) or not; listed unless a plain ``success``."""
        self.statuses[answer.status] += 1
        if not stored:
            self.failed.append(answer)
            return
        self.stored += 1
        if not success and len(self.warnings) < MAX_WARNINGS_KEPT:
            self.warnings.append(answer)
