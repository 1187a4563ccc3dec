"""The service load benchmark: its pure parts (bodies, percentiles, tables, RSS, arguments) and one short real run
(embedded load, then the recovery from a short Redis outage)."""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from bench.service.load import (
    BOUNDARY,
    LoadResult,
    StowBodies,
    Summary,
    format_table,
    multipart_related,
    parse_arguments,
    peak_rss_mb,
    percentile_ms,
    related_content_type,
    summarize,
)
from bench.service.procs import REDIS_SERVER
from bench.service.recovery import FaultSettings, Recovery, format_recovery, measure_fault
from core.settings import Settings
from service.dicomweb.media import boundary_of
from service.dicomweb.multipart import MultipartSpooler

REPO = Path(__file__).resolve().parents[3]


def _parts(body: bytes, directory: Path) -> list[bytes]:
    """The parts of ``body`` as the gateway's own multipart reader sees them."""
    with MultipartSpooler(boundary=BOUNDARY.encode(), directory=directory, max_bytes=10**9) as spooler:
        spooler.write(body)
        return [part.path.read_bytes() for part in spooler.finish()]


def test_multipart_related_round_trips_through_the_gateway_reader(tmp_path: Path) -> None:
    parts = [b"first\r\n--not-the-boundary", bytes(range(256)) * 8, b"third"]
    assert _parts(multipart_related(parts=parts), tmp_path) == parts
    assert boundary_of(content_type=related_content_type()) == BOUNDARY.encode()
    with pytest.raises(ValueError, match="'parts'"):
        multipart_related(parts=[])


def _datasets(body: bytes, directory: Path) -> list[pydicom.Dataset]:
    return [pydicom.dcmread(io.BytesIO(part)) for part in _parts(body, directory)]


def _uids(datasets: list[pydicom.Dataset]) -> set[str]:
    """The study, series and SOP Instance UIDs of ``datasets``."""
    return {uid for ds in datasets for uid in (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)}


def test_each_request_body_is_one_complete_series_of_its_own_study(tmp_path: Path) -> None:
    bodies = StowBodies(slices=3, size=8, seed=1)
    first, second = _datasets(bodies.body(1), tmp_path), _datasets(bodies.body(2), tmp_path)
    assert len(first) == len(second) == 3
    for datasets in (first, second):
        assert len({ds.StudyInstanceUID for ds in datasets}) == len({ds.SeriesInstanceUID for ds in datasets}) == 1
        assert all(ds.Modality == "PT" and ds.NumberOfSlices == 3 for ds in datasets)
        assert all(ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID for ds in datasets)
    template = _datasets(bodies.template, tmp_path)
    assert len(_uids(first) | _uids(second) | _uids(template)) == 3 * (2 + 3)  # nothing shared between requests
    assert [ds.pixel_array.tolist() for ds in first] == [ds.pixel_array.tolist() for ds in template]


def test_percentiles_interpolate_in_milliseconds() -> None:
    latencies = [0.001 * value for value in range(1, 11)]  # 1..10 ms
    assert percentile_ms(latencies_s=latencies, q=50) == pytest.approx(5.5)
    assert percentile_ms(latencies_s=latencies, q=95) == pytest.approx(9.55)
    assert percentile_ms(latencies_s=latencies, q=100) == pytest.approx(10.0)
    assert math.isnan(percentile_ms(latencies_s=[], q=50))
    with pytest.raises(ValueError, match="'q'"):
        percentile_ms(latencies_s=latencies, q=101)


def test_summary_counts_errors_as_requests_but_not_in_latencies() -> None:
    result = LoadResult(latencies_s=[0.010, 0.030, 0.020], errors=1, error_samples=["HTTP 500"], seconds=2.0)
    summary = summarize(mode="redis", result=result, peak_rss_mb=120.5, jobs="queued 4")
    assert (summary.requests, summary.per_second, summary.errors) == (4, 2.0, 1)
    assert [summary.p50_ms, summary.max_ms] == pytest.approx([20.0, 30.0])
    with pytest.raises(ValueError, match="'result'"):
        summarize(
            mode="redis", result=LoadResult(latencies_s=[], errors=0, error_samples=[], seconds=0.0), peak_rss_mb=1.0
        )


def _row(mode: str, per_second: float) -> Summary:
    return Summary(
        mode=mode,
        requests=int(per_second * 10),
        per_second=per_second,
        p50_ms=12.34,
        p95_ms=56.78,
        max_ms=99.0,
        errors=0,
        peak_rss_mb=321.0,
        jobs="queued 3",
    )


def test_table_has_a_row_per_mode_and_the_ratio_only_when_both_ran() -> None:
    both = format_table(summaries=[_row("embedded", 20.0), _row("redis", 30.0)]).splitlines()
    assert both[0].split()[:3] == ["mode", "requests", "req/s"]
    assert both[1].split()[:8] == ["embedded", "200", "20.0", "12.3", "56.8", "99.0", "0", "321.0"]
    assert both[2].startswith("redis ") and both[3] == "ratio redis/embedded requests/s: 1.50"
    assert "ratio" not in format_table(summaries=[_row("embedded", 20.0)])


def test_peak_rss_adds_the_children() -> None:
    own = peak_rss_mb(pid=os.getpid())
    assert own > 10
    script = "import sys; print('up', flush=True); sys.stdin.read()"
    with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == b"up\n"
            assert peak_rss_mb(pid=os.getpid()) > own + 1
        finally:
            assert child.stdin is not None
            child.stdin.close()


def test_recovery_rows_name_the_fault_time_attempts_loss_and_settings() -> None:
    settings = FaultSettings(heartbeat_s=15.0, stall_after_s=120.0, visibility_s=900.0)
    rows = [
        Recovery(fault="worker-kill", seconds=131.24, attempts=2, lost="none", settings=settings.describe()),
        Recovery(fault="redis-outage", seconds=float("nan"), attempts=0, lost="job queued", settings="down 10 s"),
    ]
    lines = format_recovery(rows=rows).splitlines()
    assert lines[0].split()[:3] == ["fault", "recovered", "s"]
    assert lines[1].split()[:4] == ["worker-kill", "131.2", "2", "none"]
    assert lines[1].endswith("heartbeat 15 s, stall after 120 s, visibility 900 s")
    assert lines[2].split()[:5] == ["redis-outage", "-", "0", "job", "queued"]
    assert settings.env() == {
        "job_heartbeat_s": "15",
        "job_stall_after_s": "120",
        "broker_visibility_timeout_s": "900",
    }


def test_fault_arguments_default_to_the_service_settings() -> None:
    args = parse_arguments([])
    assert args.faults == ["worker-kill", "redis-outage"]
    defaults = Settings()
    assert (args.heartbeat_s, args.stall_after_s, args.visibility_s) == (
        defaults.job_heartbeat_s,
        defaults.job_stall_after_s,
        defaults.broker_visibility_timeout_s,
    )
    assert parse_arguments(["--faults", "none"]).faults == []
    with pytest.raises(SystemExit):
        parse_arguments(["--faults", "power-cut"])
    with pytest.raises(ValueError, match="'fault'"):
        measure_fault(
            fault="power-cut",
            weights=REPO,
            body=b"",
            content_type="",
            settings=FaultSettings(heartbeat_s=1.0, stall_after_s=2.0, visibility_s=3.0),
        )


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.skipif(shutil.which(REDIS_SERVER) is None, reason="redis-server is not installed")
def test_a_short_run_prints_its_load_row_and_its_recovery_row_without_errors() -> None:
    command = [sys.executable, "-m", "bench.service.load", "--clients", "2", "--seconds", "3", "--modes", "embedded"]
    command += ["--faults", "redis-outage", "--outage-s", "1", "--fault-slices", "4", "--fault-size", "32"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    row = re.search(r"^embedded\s+(\d+)\s+([\d.]+)(?:\s+[\d.]+){3}\s+(\d+)\s+([\d.]+)", done.stdout, re.MULTILINE)
    assert row is not None, done.stdout
    assert int(row.group(1)) > 0 and float(row.group(2)) > 0
    assert int(row.group(3)) == 0, done.stdout + done.stderr
    assert float(row.group(4)) > 50  # a Python process with the web stack and the denoiser loaded
    assert "ratio" not in done.stdout
    recovery = re.search(r"^redis-outage\s+([\d.]+)\s+1\s+none\s+down 1 s", done.stdout, re.MULTILINE)
    assert recovery is not None, done.stdout + done.stderr
