"""Reading a report page back in the tests: elements by id, their text, tables as cell text, and the images."""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser

import numpy as np
import numpy.typing as npt

from tests.imaging.render.png_reader import read_grey_png

__all__ = ["Page", "parse_page", "png_of"]

_VOID = frozenset({"img", "meta", "br", "hr", "link", "input"})
_DATA_PNG = "data:image/png;base64,"


@dataclass
class Page:
    """What a page holds: ``ids`` (id → tag), ``text`` (id → its text), ``tables`` (id → rows of cell text),
    ``images`` (each ``<img>``'s attributes) and every start ``tags`` in order."""

    ids: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=lambda: defaultdict(str))
    tables: dict[str, list[list[str]]] = field(default_factory=lambda: defaultdict(list))
    images: list[dict[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[tuple[str, str | None]] = []
        self.table: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.page.tags.append(tag)
        if "id" in found:
            self.page.ids[found["id"]] = tag
        if tag == "img":
            self.page.images.append(found)
        if tag == "table":
            self.table = found.get("id", "")
        elif tag == "tr" and self.table is not None:
            self.page.tables[self.table].append([])
        elif tag in ("td", "th") and self.table is not None:
            self.page.tables[self.table][-1].append("")
        if tag not in _VOID:
            self.open.append((tag, found.get("id")))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break
        if tag == "table":
            self.table = None

    def handle_data(self, data: str) -> None:
        for _, element_id in self.open:
            if element_id:
                self.page.text[element_id] += data
        if self.table is not None and any(tag in ("td", "th") for tag, _ in self.open):
            self.page.tables[self.table][-1][-1] += data


def parse_page(html: str) -> Page:
    """The :class:`Page` of ``html``."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def png_of(source: str) -> npt.NDArray[np.uint8]:
    """The grey image of a ``data:image/png;base64,`` URI."""
    assert source.startswith(_DATA_PNG), source[:40]
    return read_grey_png(base64.b64decode(source.removeprefix(_DATA_PNG), validate=True))
