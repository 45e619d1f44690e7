"""The departments' private links: one random token per department, year and form,
kept only as its hash (see :mod:`~xlsxform.portal.tables`), and the
paragraph that carries the link in the department's e-mail.

Used by ``xlsxform issue --portal URL`` and by the bureau's issue page; no
web framework is needed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xlsxform.collection.mail import EmailTemplate
from xlsxform.collection.outbox import Issued
from xlsxform.collection.records import FIRST_FORM
from xlsxform.errors import PortalError
from xlsxform.portal.tables import PortalTables

LINK_PARAGRAPH = "\n\n也可以在网上自查并提交（本单位专用链接，请勿转发）：\n{link}\n"
"""Added to the e-mail's body when the forms are issued with a portal."""


def base_url(url: str) -> str:
    """The portal's address as given (https://yjx.czj.example/), checked."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or "://" not in url or not url.split("://", 1)[1]:
        raise PortalError("门户地址须以 http:// 或 https:// 开头", "the portal address must start with http:// or https://", code="bad-url")
    return url


def link_url(base: str, token: str) -> str:
    return f"{base_url(base)}/d/{token}"


def issue_links(db: str | Path, issued: Sequence[Issued], *, year: int, deadline: str, base: str, form: str = FIRST_FORM) -> dict[str, str]:
    """A new private link for each issued form, by form id; older links of
    the same department, year and form are revoked, so only the latest
    works (links to the department's other forms stay: any live link opens
    the department's page with every form issued to it for the year)."""
    PortalTables.ensure(db)
    links: dict[str, str] = {}
    with PortalTables(db) as tables:
        tables.db.execute("BEGIN IMMEDIATE")
        try:
            for item in issued:
                tables.revoke(item.department.key, year, form)
                links[item.form_id] = link_url(base, tables.add_link(item.department.name, item.department.key, year, deadline, form))
            tables.db.execute("COMMIT")
        except BaseException:
            tables.db.execute("ROLLBACK")
            raise
    return links


def with_link(template: EmailTemplate) -> EmailTemplate:
    """The e-mail template with the link paragraph at the end of its body
    (filled from the context's ``link``)."""
    return EmailTemplate(template.subject, template.body.rstrip("\n") + LINK_PARAGRAPH, template.path)
