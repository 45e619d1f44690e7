"""Rosters, templates and issuing: the roster the bureau uploaded, a
department's pre-filled workbook, and ``xlsxform issue --portal`` as a zip
of drafts or as e-mails sent."""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from xlsxform.collection.mail import issued_message, load_template, send, write_eml
from xlsxform.collection.outbox import Issued, issue, render_department, write_manifest
from xlsxform.collection.records import FIRST_FORM
from xlsxform.collection.roster import Department, Roster, read_roster
from xlsxform.errors import PortalError
from xlsxform.portal.family import form_kind
from xlsxform.portal.links import issue_links, with_link
from xlsxform.portal.tables import PortalTables
from xlsxform.rendering.renderer import render_template
from xlsxform.spec.loading import load_spec

_rosters: dict[str, Roster] = {}


def roster_from_bytes(name: str, data: bytes) -> Roster:
    """Read and check a roster file (.csv or .xlsx) the bureau uploaded."""
    digest = hashlib.sha256(name.encode() + b"\0" + data).hexdigest()
    if digest in _rosters:
        return _rosters[digest]
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise PortalError("名单须为 .csv 或 .xlsx 文件", "the roster must be a .csv or .xlsx file", code="bad-roster")
    with tempfile.TemporaryDirectory(prefix="xlsxform-roster-") as scratch:
        path = Path(scratch) / f"名单{suffix}"
        path.write_bytes(data)
        roster = read_roster(path)
    roster = dataclasses.replace(roster, path=name)
    if len(_rosters) > 16:
        _rosters.clear()
    _rosters[digest] = roster
    return roster


def current_roster(db: Path, given: Path | None) -> Roster | None:
    """The roster the bureau uploaded last, else the one ``serve --roster`` named."""
    with PortalTables(db) as tables:
        uploaded = tables.roster()
    if uploaded is not None:
        return roster_from_bytes(*uploaded)
    return read_roster(given) if given is not None else None


def template_for(department: Department | None, name: str, year: int, target: Path, form: str = FIRST_FORM) -> None:
    """The department's pre-filled workbook of one form, as ``issue --form ID`` writes it."""
    spec = load_spec(form)
    if department is None:
        render_template(target, year=year, department=name, spec=spec)
    else:
        render_department(target, department, year=year, spec=spec)


def find(roster: Roster | None, key: str) -> Department | None:
    return next((d for d in roster or [] if d.key == key), None)


@dataclass(frozen=True)
class IssueRequest:
    year: int
    deadline: str
    sender: str
    sender_name: str
    base_url: str
    form: str = FIRST_FORM


@dataclass(frozen=True)
class MailServer:
    """The SMTP server of the server's settings (``serve --smtp``)."""

    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class Sent:
    department: str
    address: str
    ok: bool
    reason: str


def _issue(roster: Roster, request: IssueRequest, db: Path, outbox: Path) -> tuple[list[Issued], list[tuple[str, EmailMessage]], dict[str, str]]:
    """``xlsxform issue ROSTER --portal URL``: the workbooks, the links and each department's message."""
    issued = issue(roster, outbox, year=request.year, spec=load_spec(request.form))
    links = issue_links(db, issued, year=request.year, deadline=request.deadline, base=request.base_url, form=request.form)
    template = with_link(load_template())
    messages = [
        (
            item.form_id,
            issued_message(
                template,
                item,
                year=request.year,
                deadline=request.deadline,
                sender=request.sender,
                sender_name=request.sender_name,
                link=links[item.form_id],
            ),
        )
        for item in issued
    ]
    return issued, messages, links


def issue_bundle(roster: Roster, request: IssueRequest, db: Path, target: Path) -> list[Issued]:
    """``xlsxform issue ROSTER --eml --portal URL`` into a folder, zipped to ``target``."""
    with tempfile.TemporaryDirectory(prefix="xlsxform-issue-") as scratch:
        outbox = Path(scratch) / f"{request.year}年{form_kind(request.form).name}"
        issued, messages, links = _issue(roster, request, db, outbox)
        for n, (item, (_, message)) in enumerate(zip(issued, messages, strict=True)):
            draft = item.workbook.with_suffix(".eml")
            write_eml(message, draft)
            issued[n] = dataclasses.replace(item, draft=draft)
        write_manifest(outbox, issued, links=links)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(outbox.iterdir()):
                archive.write(path, f"{outbox.name}/{path.name}")
    return issued


def issue_and_send(roster: Roster, request: IssueRequest, db: Path, server: MailServer) -> list[Sent]:
    """``xlsxform issue ROSTER --smtp HOST:PORT --portal URL``: each department's e-mail sent."""
    with tempfile.TemporaryDirectory(prefix="xlsxform-issue-") as scratch:
        issued, messages, _ = _issue(roster, request, db, Path(scratch) / "outbox")
        deliveries = {d.key: d for d in send(messages, server.host, server.port, starttls=server.starttls, user=server.user, password=server.password)}
    return [Sent(i.department.name, i.department.email, deliveries[i.form_id].ok, deliveries[i.form_id].reason) for i in issued]
