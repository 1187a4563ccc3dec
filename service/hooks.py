"""The ``on_series_stored`` hooks: called once per STOW-RS request, and once per DIMSE association, that stored
something. Their typed home is :class:`SeriesStoredHooks`, ``app.state.on_series_stored`` (the job starter,
:class:`core.jobs.starter.JobStarter`, is the first), given to the STOW-RS route and to the storage SCP alike.

A hook's failure never turns stored instances into an error: it is logged on one line naming the hook (never its
``repr``, which may hold the settings) and the error with URL credentials masked, the traceback at DEBUG level only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from core.logs import callable_name, safe_error, safe_traceback
from core.storage.outcomes import StoreReport

__all__ = ["SeriesStoredHook", "SeriesStoredHooks", "notify_series_stored"]

SeriesStoredHook = Callable[[StoreReport], None]
"""Called with the report of each STOW-RS request (or DIMSE association) that stored something; must be
idempotent (a re-sent study calls it again). The report carries the completed series' indices and the split pairs
(:class:`~core.storage.outcomes.StoreReport`): a hook needs not read them again."""

_LOG = logging.getLogger(__name__)


class SeriesStoredHooks(list[SeriesStoredHook]):
    """The ordered hooks of ``app.state.on_series_stored``: a list (tests and extensions append or insert), with
    :meth:`notify`, which calls them."""

    def notify(self, report: StoreReport) -> None:
        """Call every hook with ``report`` (module docstring); blocking: run it in a worker thread."""
        notify_series_stored(hooks=tuple(self), report=report)


def notify_series_stored(*, hooks: Iterable[SeriesStoredHook], report: StoreReport) -> None:
    """Call every hook with ``report``, in order; a hook that raises is logged (module docstring) and the next one
    is called all the same. Blocking: run it in a worker thread."""
    for hook in hooks:
        try:
            hook(report)
        except Exception as error:  # a hook's failure must not turn stored instances into an error
            _LOG.error("on_series_stored hook %s failed: %s", callable_name(hook), safe_error(error))
            _LOG.debug("on_series_stored hook %s failed:\n%s", callable_name(hook), safe_traceback(error))
