"""``Cache-Control: no-store`` on every response of the gateway: nothing it answers may be kept by a browser or a
proxy cache (QIDO-RS results, WADO-RS instances, STOW-RS responses, job records and the report carry PHI; the
others gain nothing from a cache).

A pure ASGI middleware (streamed WADO-RS bodies pass through untouched): it replaces any ``Cache-Control`` a route
set itself. Problem details answered by the outermost error middleware (an unexpected 500) get the header from
:func:`service.api.errors.problem_response`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["NO_STORE", "NoStoreMiddleware"]

NO_STORE = "no-store"


class NoStoreMiddleware:
    """Sets ``Cache-Control: no-store`` on every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_no_store)
