"""What the collection database holds, as values: receipts, forms, problems
and what a content is known as; times as stored (UTC, ISO 8601)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NewReceipt:
    """A receipt to record: what came, from where, and when it was sent."""

    key: str
    kind: str
    """'file', 'message', 'attachment' or 'member'."""
    name: str
    origin: str
    source: str
    sent_at: str
    size: int = 0
    sha256: str | None = None
    parent_key: str | None = None
    sender: str | None = None
    date: str | None = None
    subject: str | None = None
    message_id: str | None = None


FIRST_FORM = "city-department-performance"
"""The form of returns stored before forms had ids."""


@dataclass(frozen=True)
class Receipt:
    """One recorded receipt."""

    id: int
    key: str
    parent: int | None
    batch: str
    kind: str
    name: str
    origin: str
    source: str
    sender: str | None
    date: str | None
    subject: str | None
    message_id: str | None
    sent_at: str
    sha256: str | None
    size: int
    department: str | None
    department_key: str | None
    year: int | None
    template_id: str | None
    form: int | None
    outcome: str
    refusal: str | None
    reason: str | None
    reason_en: str | None
    accepted_at: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "origin": self.origin,
            "kind": self.kind,
            "source": self.source,
            "parent": self.parent,
            "sender": self.sender,
            "date": self.date,
            "subject": self.subject,
            "message_id": self.message_id,
            "sent_at": self.sent_at,
            "taken_in": self.batch,
            "sha256": self.sha256,
            "size": self.size,
            "department": self.department,
            "year": self.year,
            "form": self.form,
            "outcome": self.outcome,
            "reason_code": self.refusal,
            "reason": self.reason,
            "reason_en": self.reason_en,
            "accepted_at": self.accepted_at,
        }


@dataclass(frozen=True)
class StoredProblem:
    severity: str
    code: str
    cell: str | None
    field: str | None
    value: str | None
    params: dict[str, Any]
    message: str
    message_en: str

    def problem(self) -> Any:
        """The :class:`~xlsxform.form.problems.Problem` again, or None for a code this version does not know."""
        from xlsxform.form.problems import CATALOGUE, Problem, Severity

        if self.code in CATALOGUE:
            return Problem(self.code, self.cell, self.field, self.value, self.params)
        if self.severity not in {"error", "warning"}:
            return None
        # A form's own rule: its messages as they were stored.
        zh, en = (text.replace("{", "{{").replace("}", "}}") for text in (self.message, self.message_en))
        return Problem(self.code, self.cell, self.field, self.value, self.params, defined=(Severity(self.severity), zh, en))


@dataclass(frozen=True)
class FormData:
    """A form read from a content, to store with its first receipt."""

    department: str
    department_key: str
    code: str | None
    year: int | None
    form_id: str | None
    template_id: str | None
    template_version: str | None
    data: str
    problems: Sequence[StoredProblem]
    scope: str = ""
    """What one return covers within its department, form and year, for
    forms sent one per project (the project's name); '' for the others."""


@dataclass(frozen=True)
class FormRecord:
    """One stored form."""

    id: int
    sha256: str
    department: str
    department_key: str
    code: str | None
    year: int | None
    form_id: str | None
    template_id: str | None
    template_version: str | None
    data: dict[str, Any] = field(repr=False)
    errors: int
    warnings: int
    superseded_by: int | None
    received_at: str
    current: bool = False
    receipt: int | None = None
    file_name: str = ""
    source: str = ""
    scope: str = ""
    """The project a return of a form sent one per project covers ('' for others)."""

    @property
    def ok(self) -> bool:
        return self.errors == 0


@dataclass(frozen=True)
class Refusal:
    sha256: str
    file_name: str
    source: str
    origin: str
    sender: str | None
    date: str | None
    ingested_at: str
    refusal: str
    reason: str
    reason_en: str


@dataclass(frozen=True)
class Recorded:
    """What recording a receipt did."""

    id: int
    outcome: str
    new: bool
    """False when the receipt was already recorded (by an earlier run or a concurrent one)."""
    form: int | None = None
    department: str | None = None
    errors: int = 0
    warnings: int = 0


@dataclass(frozen=True)
class KnownContent:
    """A content the database already has: a form (with its department) or a refusal."""

    status: str
    form: int | None
    department: str | None
    department_key: str | None
    refusal: str | None
    reason: str | None
    reason_en: str | None


def now() -> str:
    """The current time as stored: ISO 8601, UTC, seconds."""
    return iso(dt.datetime.now(dt.UTC))


def iso(moment: dt.datetime) -> str:
    """A time as stored and compared: UTC, ISO 8601 to the second (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
