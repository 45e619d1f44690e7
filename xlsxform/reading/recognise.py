"""Which form a sheet holds: by the identity inside, else by its labels.

A workbook xlsxform rendered names its template; any other (last year's file,
the form pasted into a new workbook, a department's own copy) is matched by
the labels in column A and the title against every known form's spec.
"""

from __future__ import annotations

from collections.abc import Sequence

from xlsxform.spec.layout import IDENTITY_PREFIX, NoteSection, Spec, TitleSection, normalise_label
from xlsxform.workbook.grid import Grid


def score(spec: Spec, grid: Grid) -> float:
    """The share of the spec's section labels found in column A (the title counts as one)."""
    column_a = {normalise_label(v.value) for (_, c), v in grid.cells.items() if c == 1}
    labelled = [s for s in spec.sections if not isinstance(s, TitleSection | NoteSection)]
    found = sum(1 for s in labelled if any(label in column_a for label in s.labels()))
    names = [normalise_label(n) for n in [spec.form.name, *spec.form.aliases]]
    titled = any(name in text for text in column_a for name in names)
    return (found + titled) / (len(labelled) + 1)


def recognise(grid: Grid, specs: Sequence[Spec]) -> Spec | None:
    """The spec ``grid`` holds: the one its identity names, else the one whose
    labels it shows best (more than half of them), else None."""
    stated = grid.identity.get(IDENTITY_PREFIX + "template_id")
    for spec in specs:
        if stated == spec.form.id and grid.name == spec.form.sheet:
            return spec
    scored = sorted(((score(spec, grid), -n, spec) for n, spec in enumerate(specs)), key=lambda t: (t[0], t[1]), reverse=True)
    if scored and scored[0][0] > 0.5:
        return scored[0][2]
    return None
