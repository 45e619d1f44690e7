"""What reading one workbook gives: :class:`ReadResult`.

Its own module because everything after reading (the command line, the marked
copy, the collection, the portal) takes a result without needing the reader,
and because it alone knows how to build the form's pydantic model, lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from xlsxform.form.problems import Problem, has_errors
from xlsxform.spec.layout import Spec

if TYPE_CHECKING:
    from xlsxform.form.types import FormData

T = TypeVar("T", bound="FormData")


@dataclass
class ReadResult:
    """What a workbook said, and what is wrong with it."""

    path: str
    spec: Spec = field(repr=False)
    """The spec it was read as."""
    data: dict[str, Any]
    """The data as plain values (Decimal, date, str, lists and dicts), in the
    shape of the spec's model: what :attr:`form` holds, without building it."""
    problems: list[Problem]
    cells: dict[str, str] = field(repr=False)
    """Where each field was read: field path to cell (绩效目标表!C5)."""
    identity: dict[str, str] = field(default_factory=dict)
    """What the file says it is (template_id, template_version, year,
    department, form_id), when xlsxform rendered it."""
    sheet: str = ""
    """The sheet it was read from."""
    sheets: list[str] | None = field(default=None, repr=False)
    """The workbook's visible sheets, when known."""

    @property
    def form_id(self) -> str:
        """The id of the spec it was read as (city-department-performance, …)."""
        return self.spec.form.id

    @cached_property
    def form(self) -> FormData:
        """The data as the spec's model (for the first form, :class:`xlsxform.Form`),
        built on first use."""
        from xlsxform.spec.generate import model_of

        return model_of(self.spec).model_validate(self.data)

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings allowed)."""
        return not has_errors(self.problems)

    def form_as(self, model: type[T]) -> T:
        """The data as one form's generated class, for typed access:
        ``result.form_as(SelfEvaluation).funds.rate``.  Raises TypeError when
        the workbook was read as another form."""
        if not isinstance(self.form, model):
            raise TypeError(f"read as {type(self.form).__name__} ({self.form_id}), not {model.__name__}")
        return self.form
