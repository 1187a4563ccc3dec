"""DICOM network (DIMSE) addresses as settings give them: AE titles, ``AET@host:port`` destinations, allow-lists.

An AE title (PS3.5 §6.2, VR AE) is 1–16 characters of the default character repertoire without backslash or
control characters, leading and trailing spaces not significant, not all spaces. An allow-list entry is
``AET`` (that calling AE title from any host), ``AET@host`` (that AE title from that host) or ``*@host`` (any AE
title from that host); hosts are compared as written (an IP address or the name the peer's address resolves to
is not looked up: give IP addresses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["AllowRule", "DimseDestination", "allows", "check_ae_title", "parse_allow_list", "parse_destination"]

_AE_CHARS = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)$")


def check_ae_title(*, value: str, name: str) -> str:
    """``value`` stripped, as a valid AE title.

    Raises:
        ValueError: naming ``name``, when ``value`` is not 1–16 characters of the default repertoire (no
            backslash, no control character) or is all spaces.
    """
    stripped = value.strip()
    if not stripped or not _AE_CHARS.match(stripped):
        raise ValueError(
            f"Argument '{name}' should be an AE title: 1 to 16 printable ASCII characters, no backslash, got {value!r}."
        )
    return stripped


def _check_host(*, value: str, name: str) -> str:
    if not _HOST.match(value):
        raise ValueError(f"Argument '{name}' should name a host (a DNS name or an IP address), got {value!r}.")
    return value.strip("[]")


@dataclass(frozen=True)
class DimseDestination:
    """A C-STORE destination: the called AE title, the host and the TCP port of its SCP."""

    ae_title: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.ae_title}@{host}:{self.port}"


def parse_destination(*, value: str, name: str) -> DimseDestination:
    """``AET@host:port`` (IPv6 hosts in brackets) as a :class:`DimseDestination`.

    Raises:
        ValueError: naming ``name``, when ``value`` is not of that form or a part is invalid.
    """
    title, at, address = value.strip().rpartition("@")
    host, colon, port_text = address.rpartition(":")
    if not at or not colon or not port_text.isdigit():
        raise ValueError(f"Argument '{name}' should be 'AET@host:port', e.g. 'PACS@10.0.0.5:104', got {value!r}.")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValueError(f"Argument '{name}' should have a TCP port from 1 to 65535, got {port}.")
    return DimseDestination(
        ae_title=check_ae_title(value=title, name=name), host=_check_host(value=host, name=name), port=port
    )


@dataclass(frozen=True)
class AllowRule:
    """One allow-list entry: a calling AE title (None: any) from a host (None: any); not both None."""

    ae_title: str | None
    host: str | None

    def __str__(self) -> str:
        if self.host is None:
            return self.ae_title or "*"
        return f"{self.ae_title or '*'}@{self.host}"


def _parse_rule(entry: str, *, name: str) -> AllowRule:
    title, at, host = entry.rpartition("@")
    if not at:
        return AllowRule(ae_title=check_ae_title(value=entry, name=name), host=None)
    ae_title = None if title.strip() == "*" else check_ae_title(value=title, name=name)
    return AllowRule(ae_title=ae_title, host=_check_host(value=host.strip(), name=name))


def parse_allow_list(*, value: str, name: str) -> tuple[AllowRule, ...]:
    """A comma-separated allow-list (``AET``, ``AET@host``, ``*@host``) as rules; blank entries are skipped.

    Raises:
        ValueError: naming ``name``, when an entry is invalid.
    """
    return tuple(_parse_rule(entry.strip(), name=name) for entry in value.split(",") if entry.strip())


def allows(*, rules: tuple[AllowRule, ...], ae_title: str, host: str) -> bool:
    """Whether a peer calling as ``ae_title`` from ``host`` may associate: True for an empty list (no
    allow-list), else when some rule matches both its AE title (compared stripped) and its host."""
    if not rules:
        return True
    title = ae_title.strip()
    return any(
        (rule.ae_title is None or rule.ae_title == title) and (rule.host is None or rule.host == host) for rule in rules
    )
