"""Prometheus metrics of the gateway, computed from the job manifests at each scrape (they are the truth, in
embedded and distributed mode alike, whichever process ran the jobs).

- ``petiq_jobs{state}``: jobs by state (gauge);
- ``petiq_job_stage_duration_seconds{stage}``: histogram of the stage durations of succeeded jobs (skipped
  stages, recorded as 0 s, left out);
- ``petiq_deliveries{status}``: jobs by the state of their result's forwarding (gauge; ``delivered``,
  ``failed``…);
- ``petiq_queue_depth``: messages waiting in queue ``gpu`` (absent when the broker cannot say);
- ``petiq_incomplete_series``: series recorded incomplete (:mod:`core.jobs.incomplete`) that have no job
  since (gauge; their records are counted in ``petiq_jobs{state="failed"}`` too);
- ``petiq_storage_free_bytes``, ``petiq_storage_size_bytes``: free space and size of the storage volume, bytes
  (gauges from ``statvfs``; absent when the volume cannot be read). Alert well before ``min_free_bytes``.
- ``petiq_jobs_stalled``: running jobs whose worker holds them but stopped beating (:mod:`core.jobs.stall`);
- ``petiq_jobs_unsent``: jobs whose message (run or delivery) the broker has not taken yet
  (:mod:`core.jobs.enqueue`; the gateway keeps trying);
- when the DICOM storage SCP is configured (``dimse_port``), counters since the gateway started
  (:class:`service.dimse.stats.DimseStats`): ``petiq_dimse_associations_total{result}`` (``accepted``,
  ``rejected``, ``aborted``; an aborted association is counted as accepted too) and
  ``petiq_dimse_cstore_total{status}`` (C-STORE responses by status, ``0x0000``, ``0xA700``, ``0x0122``…).

A scrape reads every manifest: fine for the thousands of jobs a gateway keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from core.jobs.enqueue import pending_message
from core.jobs.incomplete import is_placeholder
from core.jobs.models import DeliveryStatus, JobPublic, JobStatus
from core.jobs.queue import JobQueue
from core.jobs.store import JobStore
from core.storage.space import volume_space
from service.dimse.stats import DimseStats

__all__ = [
    "STAGE_BUCKETS_S",
    "DimseCollector",
    "JobCollector",
    "StorageCollector",
    "histogram_buckets",
    "metrics_registry",
]

STAGE_BUCKETS_S = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def histogram_buckets(*, values: Sequence[float], bounds: Sequence[float]) -> list[tuple[str, float]]:
    """Cumulative Prometheus buckets ``[(le, count), …, ("+Inf", n)]`` of ``values`` for upper ``bounds``."""
    buckets = [(str(bound), float(sum(value <= bound for value in values))) for bound in bounds]
    return [*buckets, ("+Inf", float(len(values)))]


@dataclass(frozen=True, eq=False)  # hashed by identity, as the registry needs
class JobCollector(Collector):
    """The metrics of the module docstring, for the jobs of ``store`` and the queue ``queue``."""

    store: JobStore
    queue: JobQueue

    def collect(self) -> Iterator[GaugeMetricFamily | HistogramMetricFamily]:
        jobs = list(self.store.all())
        states = GaugeMetricFamily("petiq_jobs", "Jobs by state", labels=["state"])
        for status in JobStatus:
            states.add_metric([status.value], float(sum(job.status is status for job in jobs)))
        yield states
        deliveries = GaugeMetricFamily("petiq_deliveries", "Jobs by delivery state of their result", labels=["status"])
        for delivery in DeliveryStatus:
            deliveries.add_metric([delivery.value], float(sum(job.delivery.status is delivery for job in jobs)))
        yield deliveries
        stages = HistogramMetricFamily(
            "petiq_job_stage_duration_seconds", "Pipeline stage durations of succeeded jobs", labels=["stage"]
        )
        for stage, values in _stage_values(job.timings.stages_s for job in jobs).items():
            stages.add_metric([stage], histogram_buckets(values=values, bounds=STAGE_BUCKETS_S), sum(values))
        yield stages
        yield GaugeMetricFamily(
            "petiq_incomplete_series",
            "Series short of slices after the grace time, no job since",
            value=_incomplete(jobs),
        )
        yield GaugeMetricFamily(
            "petiq_jobs_stalled",
            "Running jobs whose worker holds them but stopped beating",
            value=float(sum(job.status is JobStatus.RUNNING and job.stalled is not None for job in jobs)),
        )
        yield GaugeMetricFamily(
            "petiq_jobs_unsent",
            "Jobs whose message the broker has not taken yet",
            value=float(sum(job.enqueue_error is not None and pending_message(job) is not None for job in jobs)),
        )
        depth = self.queue.depth()
        if depth is not None:
            yield GaugeMetricFamily("petiq_queue_depth", "Jobs waiting in the broker queue", value=float(depth))


@dataclass(frozen=True, eq=False)  # hashed by identity, as the registry needs
class StorageCollector(Collector):
    """The storage volume's free space and size (module docstring) for the volume holding ``root``."""

    root: Path

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            space = volume_space(path=self.root)
        except OSError:
            return
        yield GaugeMetricFamily(
            "petiq_storage_free_bytes", "Free space on the storage volume, bytes", value=float(space.free_bytes)
        )
        yield GaugeMetricFamily(
            "petiq_storage_size_bytes", "Size of the storage volume, bytes", value=float(space.total_bytes)
        )


@dataclass(frozen=True, eq=False)  # hashed by identity, as the registry needs
class DimseCollector(Collector):
    """The storage SCP's counters (module docstring) from ``stats``."""

    stats: DimseStats

    def collect(self) -> Iterator[CounterMetricFamily]:
        counts = self.stats.counts()
        associations = CounterMetricFamily(
            "petiq_dimse_associations", "DICOM associations by result", labels=["result"]
        )
        for result, count in counts.associations.items():
            associations.add_metric([result], float(count))
        yield associations
        cstore = CounterMetricFamily("petiq_dimse_cstore", "C-STORE responses by status", labels=["status"])
        for status, count in counts.cstore.items():
            cstore.add_metric([status], float(count))
        yield cstore


def _stage_values(timings: Iterable[dict[str, float]]) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for stages in timings:
        for stage, seconds in stages.items():
            if seconds > 0.0:  # 0.0: the stage was skipped
                values.setdefault(stage, []).append(seconds)
    return values


def _incomplete(jobs: list[JobPublic]) -> float:
    """Series with an incomplete-series record and no other job."""
    recorded = {job.series_uid for job in jobs if is_placeholder(job)}
    started = {job.series_uid for job in jobs if not is_placeholder(job)}
    return float(len(recorded - started))


def metrics_registry(*, store: JobStore, queue: JobQueue, dimse: DimseStats | None = None) -> CollectorRegistry:
    """A registry (one per app, not the global one) holding :class:`JobCollector`, :class:`StorageCollector` and,
    when ``dimse`` is given (the SCP is configured), :class:`DimseCollector`."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(JobCollector(store=store, queue=queue))
    registry.register(StorageCollector(root=store.root))
    if dimse is not None:
        registry.register(DimseCollector(stats=dimse))
    return registry
