"""Where the printed form's pages end: between parts or groups, never inside
a merged label when that can be helped.

The renderer knows every row's height and which rows each merged label
spans; :func:`page_breaks` places the breaks from those alone, and
:func:`page_height` says how much of the sheet one page holds once the
columns are scaled to the paper's width.
"""

from __future__ import annotations

from collections.abc import Sequence

PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""Paper sizes in millimetres, portrait."""
POINTS_PER_MM = 72 / 25.4
POINTS_PER_CHAR = 5.25
"""Points a column-width unit takes on paper (a 7-pixel digit of the default font at 96 dpi)."""
COLUMN_PADDING = 3.75
"""Points each column adds to its width (Excel's 5 pixels of padding)."""
SLACK = 0.94
"""Share of a page the breaks fill at most: office suites round the scale and
the row heights their own way, and a page that overflows gets a break of the
suite's choosing, wherever it falls."""
MIN_FILL = 0.5
"""A page ends early to keep a label whole, but is never left less than half full."""


def page_height(paper: str, orientation: str, margins_cm: dict[str, float], widths: Sequence[float], *, fit_to_width: bool = True) -> float:
    """How many points of rows one page holds: the paper's height inside the
    top and bottom margins, divided by the scale that fits the columns
    (``widths`` in characters) to the paper's width."""
    short, long = PAPER_MM.get(paper, PAPER_MM["A4"])
    width_mm, height_mm = (long, short) if orientation == "landscape" else (short, long)
    usable_width = (width_mm - 10 * (margins_cm.get("left", 1.9) + margins_cm.get("right", 1.9))) * POINTS_PER_MM
    usable_height = (height_mm - 10 * (margins_cm.get("top", 1.9) + margins_cm.get("bottom", 1.9))) * POINTS_PER_MM
    content = sum(w * POINTS_PER_CHAR + COLUMN_PADDING for w in widths)
    scale = min(1.0, usable_width / content) if fit_to_width and content > 0 else 1.0
    return usable_height / scale * SLACK


def page_breaks(heights: Sequence[float], keep: Sequence[tuple[int, int]], page: float) -> list[int]:
    """The rows after which a page ends (1-based), for rows of ``heights``
    points printed on pages holding ``page`` points.

    ``keep`` lists row ranges (first, last; 1-based) that should not be
    split, such as merged labels.  Each page ends at the row that splits
    the least: no range if it can, else only the largest ranges (a part's
    label before a group's), the page at least half full; among equals, the
    latest row.  A single row taller than a page gets a page of its own.
    """
    count = len(heights)
    spans = [(first, last) for first, last in keep if last > first]

    def cost(end: int) -> float:
        """What ending a page after row ``end`` splits: each range it cuts, the smaller the worse."""
        return sum(1 / (last - first + 1) for first, last in spans if first <= end < last)

    breaks: list[int] = []
    start = 0  # rows before it are on earlier pages
    while sum(heights[start:]) > page:
        fits, filled = start, 0.0
        while fits < count and filled + heights[fits] <= page:
            filled += heights[fits]
            fits += 1
        if fits == start:  # one row taller than a page
            fits = start + 1
        candidates = []
        filled = 0.0
        for end in range(start + 1, fits + 1):
            filled += heights[end - 1]
            if filled >= MIN_FILL * page or end == fits:
                candidates.append(end)
        best = min(candidates, key=lambda end: (cost(end), -end))
        if best >= count:
            break
        breaks.append(best)
        start = best
    return breaks
