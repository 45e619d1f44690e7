"""The family of forms as the pages name them (``xlsxform forms``): each
form's id, name and whether it is sent one per project; standing, exports,
templates and issuing each take a form's id, as ``status``, ``export``,
``template`` and ``issue`` take ``--form``.  Also the names the pages derive
from a department's: its key and a safe file name."""

from __future__ import annotations

from dataclasses import dataclass

from xlsxform.collection.outbox import safe_stem
from xlsxform.collection.records import FIRST_FORM as FIRST_FORM
from xlsxform.collection.roster import department_key
from xlsxform.spec.generate import BUILT_IN
from xlsxform.spec.loading import load_spec


@dataclass(frozen=True)
class FormKind:
    """One form of the family, as the pages name it."""

    id: str
    name: str
    per_project: bool
    """Sent one per project: a department has one current return per project."""


def forms() -> list[FormKind]:
    """The built-in forms, the first form first (``xlsxform forms``)."""
    return [form_kind(form) for form in BUILT_IN]


def form_kind(form: str) -> FormKind:
    """A built-in form by id; an unknown id (a --spec variant) by its id alone."""
    if form not in BUILT_IN:
        return FormKind(form, form, False)
    meta = load_spec(form).form
    return FormKind(meta.id, meta.name, meta.subject is not None)


def chosen_form(text: str | None) -> str:
    """The form a page asks for (?form=ID): a built-in id, else the first form."""
    return text if text in BUILT_IN else FIRST_FORM


def key_of(name: str) -> str:
    return department_key(name)


def safe_name(name: str) -> str:
    return safe_stem(name)
