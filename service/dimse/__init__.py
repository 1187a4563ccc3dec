"""The DICOM storage SCP of the gateway: C-ECHO and C-STORE over DIMSE, beside STOW-RS (``dimse_port``).

One association is treated as one STOW-RS request. Each C-STORE is stored as it arrives through the STOW-RS
store path (same validation, same Failure Reasons, answered as C-STORE statuses); at the association's end its
stores are merged into one report for the ``on_series_stored`` hooks, so the job starter starts the jobs of the
series it completed, with the split A/B series it brought as their pair.

- :mod:`~service.dimse.server`: :class:`StorageScp`, started and stopped by the app's lifespan (:func:`running_scp`);
- :mod:`~service.dimse.contexts`: the presentation contexts negotiated;
- :mod:`~service.dimse.handlers`: the pynetdicom event handlers (allow-list, byte limits, C-STORE, the end);
- :mod:`~service.dimse.receive`: one C-STORE through the store path;
- :mod:`~service.dimse.status`: the store outcome as a C-STORE status and Error Comment;
- :mod:`~service.dimse.limits`: the bytes an association may send;
- :mod:`~service.dimse.session`, :mod:`~service.dimse.ending`: an association's state and its end;
- :mod:`~service.dimse.stats`: the counters ``/metrics`` shows.
"""

from service.dimse.server import StorageScp, running_scp
from service.dimse.stats import DimseStats

__all__ = ["DimseStats", "StorageScp", "running_scp"]
