"""HTML fragments with escaping by construction: every value is escaped unless it is already :class:`Markup`.

Only the builders here make :class:`Markup` (from escaped values and fixed tags), so text from DICOM headers,
result documents or error details can never become markup on the page.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence

__all__ = ["Markup", "definition_list", "esc", "join", "section", "table", "tag", "text_of", "void_tag"]


class Markup(str):
    """A string of HTML that is safe to insert as it is (built here from escaped values)."""

    __slots__ = ()


def text_of(value: object) -> str:
    """``value`` as display text: ``—`` for None, yes/no for booleans, 4 significant digits for floats (whole
    numbers from 10 000 up), compact JSON for lists and mappings."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(", ", ": "), ensure_ascii=False, default=str)
    return str(value)


def esc(value: object) -> Markup:
    """``value`` (Markup as it is, anything else through :func:`text_of`) escaped for text and attributes."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(text_of(value), quote=True))


def join(parts: Iterable[object], separator: str = "") -> Markup:
    """The escaped ``parts`` one after the other."""
    return Markup(html.escape(separator).join(esc(part) for part in parts))


def _attributes(attributes: dict[str, object]) -> str:
    return "".join(f' {key.rstrip("_").replace("_", "-")}="{esc(value)}"' for key, value in attributes.items())


def tag(element: str, content: object = "", /, **attributes: object) -> Markup:
    """``<element attributes>content</element>``, ``content`` escaped unless Markup; attribute names lose a final
    ``_`` and turn ``_`` into ``-`` (``class_`` → ``class``, ``data_rows`` → ``data-rows``)."""
    return Markup(f"<{element}{_attributes(attributes)}>{esc(content)}</{element}>")


def void_tag(element: str, /, **attributes: object) -> Markup:
    """``<element attributes>`` for elements without content (``img``, ``meta``)."""
    return Markup(f"<{element}{_attributes(attributes)}>")


def table(*, css_id: str, headers: Sequence[object], rows: Iterable[Sequence[object]]) -> Markup:
    """A ``<table id=css_id>`` with a header row and one row per item of ``rows`` (first cell as a row header)."""
    head = tag("tr", join(tag("th", header, scope="col") for header in headers))
    body = join(
        tag("tr", join([tag("th", row[0], scope="row"), *(tag("td", cell) for cell in row[1:])])) for row in rows
    )
    return tag("table", join([tag("thead", head), tag("tbody", body)]), id=css_id)


def definition_list(*, css_id: str, items: Iterable[tuple[object, object]]) -> Markup:
    """A ``<dl id=css_id>`` of (term, description) pairs."""
    return tag("dl", join(join([tag("dt", term), tag("dd", value)]) for term, value in items), id=css_id)


def section(*, css_id: str, title: str, content: object) -> Markup:
    """A ``<section id=css_id>`` with an ``<h2>`` title."""
    return tag("section", join([tag("h2", title), content]), id=css_id)
