"""Dependencies shared by the routes, as ``Annotated`` aliases: settings, storage layout, bearer-key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from core.errors import UnauthorizedError
from core.settings import Settings
from core.storage.layout import Layout
from service.hooks import SeriesStoredHook, SeriesStoredHooks

__all__ = ["BaseUrlDep", "BearerDep", "HooksDep", "LayoutDep", "SeriesStoredHook", "SettingsDep", "require_key"]

_bearer = HTTPBearer(auto_error=False, description="An API key from PETIQ_API_KEYS.")

BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
"""The ``Authorization: Bearer`` credentials of the request, None when it has none (checked by the route)."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _layout(settings: SettingsDep) -> Layout:
    return Layout(settings.storage_dir)


LayoutDep = Annotated[Layout, Depends(_layout)]


def _base_url(request: Request, settings: SettingsDep) -> str:
    return settings.base_url or str(request.base_url).rstrip("/")


BaseUrlDep = Annotated[str, Depends(_base_url)]


def _hooks(request: Request) -> SeriesStoredHooks:
    hooks: SeriesStoredHooks = request.app.state.on_series_stored
    return hooks


HooksDep = Annotated[SeriesStoredHooks, Depends(_hooks)]


def _key_matches(supplied: str, keys: frozenset[SecretStr]) -> bool:
    """Compare ``supplied`` with every key in constant time (no early exit, so timing reveals nothing)."""
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(supplied.encode(), key.get_secret_value().encode())
    return matched


def require_key(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Let the request through with a valid ``Authorization: Bearer`` key; UnauthorizedError (401) otherwise."""
    if not settings.api_keys:
        if settings.allow_anonymous:
            return
        raise UnauthorizedError(
            "No API keys are configured: set PETIQ_API_KEYS (comma-separated keys), or PETIQ_ALLOW_ANONYMOUS=true "
            "on a trusted network.",
            check="api_keys_configured",
        )
    if credentials is None:
        raise UnauthorizedError("Send an API key as 'Authorization: Bearer <key>'.", check="api_key")
    if not _key_matches(credentials.credentials, settings.api_keys):
        raise UnauthorizedError("The API key is not valid.", check="api_key")
