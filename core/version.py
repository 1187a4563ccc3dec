"""petiq's version, as the installed distribution records it (the API's ``info.version``, result.json's
``provenance.software_version``, the derived series' SoftwareVersions)."""

from __future__ import annotations

from importlib import metadata

__all__ = ["UNKNOWN_VERSION", "software_version"]

UNKNOWN_VERSION = "0+unknown"
"""The version reported when petiq is not installed as a distribution (run from a bare checkout)."""


def software_version() -> str:
    """petiq's installed version, :data:`UNKNOWN_VERSION` when it is not installed as a distribution."""
    try:
        return metadata.version("petiq")
    except metadata.PackageNotFoundError:
        return UNKNOWN_VERSION
