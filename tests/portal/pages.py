"""Reading the portal's pages as structure: highlighted cells, data
attributes, forms, without depending on their wording."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str, tag: str | None = None, **attrs: str) -> list[dict[str, str]]:
    """The attributes of every element (of ``tag``) whose attributes include ``attrs``."""
    parser = _Elements()
    parser.feed(html)
    return [a for t, a in parser.elements if (tag is None or t == tag) and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


def highlighted(html: str) -> dict[str, str]:
    """Cells of the drawn sheet marked with a problem: cell (C7) to 'error' or 'warning'."""
    found = {}
    for a in elements(html, "td"):
        if a.get("id", "").startswith("cell-"):
            level = next((c for c in a.get("class", "").split() if c in ("error", "warning")), None)
            if level:
                found[a["id"][5:]] = level
    return found


def attribute(html: str, element_id: str, name: str) -> str | None:
    """One attribute of the element with that id."""
    match = elements(html, id=element_id)
    return match[0].get(name) if match else None


def form_action(html: str, pattern: str) -> str:
    """The action of the first form whose action matches ``pattern``."""
    for a in elements(html, "form"):
        if re.search(pattern, a.get("action", "")):
            return a["action"]
    raise AssertionError(f"no form posting to {pattern}")


def counts(html: str) -> dict[str, int]:
    """The dashboard's counts by state."""
    return {m[1]: int(m[2]) for m in re.finditer(r'data-state="(\w+)"[^>]*>\s*<span class="number">(\d+)</span>', html)}


def rows(html: str, table_id: str) -> list[dict[str, str]]:
    """The attributes of each row of a table's body."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    return [a for a in elements(match[0], "tr") if a]
