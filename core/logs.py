"""Secrets kept out of log lines and error details: the access log's query redacted, URL credentials masked.

- :class:`AccessLogFilter` on uvicorn's access logger (``uvicorn.access``, installed by ``create_app``) replaces the
  value of every secret-like query parameter of the logged path with ``REDACTED``: ``signature`` (signed report
  links ``?expires=…&signature=…``) and ``api_key``, ``apikey``, ``key``, ``token``, ``access_token``,
  ``password``, ``secret``, matched case-insensitively;
- :class:`UrlCredentialsFilter` on uvicorn's error logger (``uvicorn.error``, which logs the traceback of every
  unexpected 500 again) masks URL credentials in its message and traceback;
- :func:`mask_url_credentials` masks the password (or a lone user part) of every URL in a text, as kombu's
  ``maybe_sanitize_url`` does for one URL (``redis://:pw@host`` → ``redis://:**@host``): for broker error texts;
- :func:`safe_error` is an exception as ``Type: message`` with URL credentials masked, for logs and details;
  :func:`safe_traceback` its whole traceback (chained causes included), masked likewise;
- :func:`callable_name` names a hook or a periodic call by its class or function, never by its ``repr`` (which
  may print the settings it holds).
"""

from __future__ import annotations

import logging
import re
import traceback
from urllib.parse import unquote_plus

__all__ = [
    "ACCESS_LOGGER",
    "ERROR_LOGGER",
    "REDACTED",
    "SECRET_QUERY_PARAMETERS",
    "AccessLogFilter",
    "UrlCredentialsFilter",
    "callable_name",
    "install_log_filters",
    "mask_url_credentials",
    "redact_query",
    "safe_error",
    "safe_traceback",
]

ACCESS_LOGGER = "uvicorn.access"
ERROR_LOGGER = "uvicorn.error"
REDACTED = "REDACTED"
SECRET_QUERY_PARAMETERS = frozenset(
    {"signature", "api_key", "apikey", "key", "token", "access_token", "password", "secret"}
)
"""Query parameter names (lower case) whose values never reach the access log."""

_QUERY_PAIR = re.compile(r"(?P<sep>[?&;])(?P<name>[^=&;#\s]+)=(?P<value>[^&;#\s]*)")
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#@\s]+)@")


def redact_query(text: str) -> str:
    """``text`` (a path with its query, or a URL) with the value of each secret-like query parameter (its name
    percent-decoded, any case) replaced by ``REDACTED``; other parameters untouched."""

    def replace(match: re.Match[str]) -> str:
        if unquote_plus(match["name"]).lower() not in SECRET_QUERY_PARAMETERS:
            return match[0]
        return f"{match['sep']}{match['name']}={REDACTED}"

    return _QUERY_PAIR.sub(replace, text) if "=" in text else text


def mask_url_credentials(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` replaced by ``**`` (a user part without a
    password, which may be a token, is masked whole)."""

    def replace(match: re.Match[str]) -> str:
        user, colon, _ = match["userinfo"].partition(":")
        return f"{match['scheme']}{user}:**@" if colon else f"{match['scheme']}**@"

    return _URL_USERINFO.sub(replace, text)


def safe_error(error: BaseException) -> str:
    """``error`` as ``Type: message`` for a log line or an error detail, URL credentials masked."""
    text = str(error)
    return mask_url_credentials(f"{type(error).__name__}: {text}" if text else type(error).__name__)


def safe_traceback(error: BaseException) -> str:
    """The traceback of ``error`` as Python prints it (causes included), URL credentials masked; for a log line
    in place of ``exc_info``, whose text no filter of ours sees."""
    return mask_url_credentials("".join(traceback.format_exception(error)).rstrip())


def callable_name(call: object) -> str:
    """``module.QualifiedName`` of a function, or of the class of a callable object."""
    qualname = getattr(call, "__qualname__", None)
    owner = call if qualname is not None else type(call)
    return f"{owner.__module__}.{qualname or type(call).__qualname__}"


class AccessLogFilter(logging.Filter):
    """Redacts secret-like query values (:func:`redact_query`) in the arguments of an access log record; lets
    every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


class UrlCredentialsFilter(logging.Filter):
    """Masks URL credentials (:func:`mask_url_credentials`) in a record's message and traceback text; lets every
    record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:  # formatters reuse exc_text when it is set
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_url_credentials(record.exc_text)
        message = record.getMessage()
        masked = mask_url_credentials(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_filters() -> None:
    """Put one :class:`AccessLogFilter` on ``uvicorn.access`` and one :class:`UrlCredentialsFilter` on
    ``uvicorn.error`` (idempotent; uvicorn's logging configuration, applied later by ``uvicorn.run``, keeps a
    logger's filters)."""
    for name, kind in ((ACCESS_LOGGER, AccessLogFilter), (ERROR_LOGGER, UrlCredentialsFilter)):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, kind) for existing in logger.filters):
            logger.addFilter(kind())
