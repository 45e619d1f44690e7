"""The portal through its ASGI test client: the department's flow, the
bureau's, and what keeps both safe."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from starlette.testclient import TestClient

from xlsxform import read
from xlsxform.collection.records import FIRST_FORM
from xlsxform.collection.store import Store
from xlsxform.portal.app import MiB, create_app
from xlsxform.portal.tables import PortalTables

from ..departments import mail
from .conftest import EVALUATION, PASSWORD, USER, YEAR, A, B, Collection, csrf, issue_form, self_evaluation, settings, sign_in
from .pages import attribute, counts, elements, form_action, highlighted, rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client: TestClient, link: str, path: Path) -> str:
    """Check a workbook through a department's link; the result page's HTML."""
    response = client.post(f"{link}/check", data={"csrf": csrf(client, link)}, files={"workbook": (path.name, path.read_bytes(), XLSX)})
    assert response.status_code == 200
    return str(response.text)


def submit(client: TestClient, page: str) -> str:
    response = client.post(form_action(page, r"/submit$"), data={"csrf": client.cookies["csrf"]})
    assert response.status_code == 200
    return str(response.text)


# -- the department ----------------------------------------------------------------------


def test_the_link_opens_the_departments_page_with_its_form_deadline_and_state(client: TestClient, collection: Collection) -> None:
    """The private link shows the department's form for the year, its deadline and 未返回 before any return."""
    response = client.get(collection.links[A])
    assert response.status_code == 200
    assert elements(response.text, "tr", data_state="missing")
    assert attribute(response.text, "state", "class") == "state missing"


def test_the_pre_filled_template_is_the_departments_own(client: TestClient, collection: Collection, tmp_path: Path) -> None:
    """The template downloaded through the link names the department and its year."""
    response = client.get(f"{collection.links[A]}/template.xlsx")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    (tmp_path / "t.xlsx").write_bytes(response.content)
    result = read(tmp_path / "t.xlsx")
    assert (result.form.department, result.form.year, result.identity["department"]) == (A, YEAR, A)


def test_an_upload_with_errors_highlights_every_problem_cell(client: TestClient, collection: Collection) -> None:
    """Each problem the reader finds is drawn on its cell: red for an error, yellow for a warning."""
    path = collection.filled(A, "有错.xlsx", fiscal="1100")
    page = upload(client, collection.links[A], path)
    expected = {p.cell.rsplit("!", 1)[1]: str(p.severity) for p in read(path).problems if p.cell}
    assert highlighted(page) == expected
    assert "error" in expected.values()
    assert attribute(page, "summary", "data-errors") == str(sum(v == "error" for v in expected.values()))
    assert [r["data-cell"] for r in rows(page, "problems")] == [p.cell.rsplit("!", 1)[1] for p in read(path).problems if p.cell]


def test_the_marked_copy_carries_the_problems(client: TestClient, collection: Collection, tmp_path: Path) -> None:
    """The marked copy downloaded after a check is the department's workbook with a 校验结果 sheet."""
    page = upload(client, collection.links[A], collection.filled(A, "有错.xlsx", fiscal="1100"))
    response = client.get(attribute(page, "marked", "href") or "")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert any(name.startswith("xl/comments") for name in archive.namelist())


def test_a_valid_return_submitted_is_stored_and_shown_as_valid(client: TestClient, collection: Collection) -> None:
    """Submitting a valid workbook stores one form for the department, and its page says 已通过."""
    page = upload(client, collection.links[A], collection.filled(A, "好.xlsx"))
    assert highlighted(page) == {}
    home = submit(client, page)
    assert attribute(home, "submitted", "data-outcome") == "stored"
    assert attribute(home, "state", "class") == "state valid"
    with Store(collection.db) as store:
        forms = store.forms()
        receipts = store.receipts()
    assert [(f.department, f.year, f.errors) for f in forms] == [(A, YEAR, 0)]
    assert [(r.origin, r.outcome, r.department) for r in receipts] == [("web", "stored", A)]


def test_a_fixed_return_replaces_the_one_with_errors(client: TestClient, collection: Collection) -> None:
    """A department that submits with errors, then the fixed form, ends 已通过 with both returns kept and the newer one current."""
    submit(client, upload(client, collection.links[A], collection.filled(A, "有错.xlsx", fiscal="1100")))
    home = submit(client, upload(client, collection.links[A], collection.filled(A, "改好.xlsx")))
    assert attribute(home, "state", "class") == "state valid"
    assert len(rows(home, "returns")) == 2
    with Store(collection.db) as store:
        forms = store.forms(current=False)
    assert [(f.errors > 0, f.current) for f in forms] == [(True, False), (False, True)]


def test_a_file_that_is_not_a_workbook_is_refused_with_its_code(client: TestClient, collection: Collection, tmp_path: Path) -> None:
    """A text file uploaded as a workbook gets the gate's refusal, and no submit button."""
    junk = tmp_path / "notes.xlsx"
    junk.write_text("这不是表格", encoding="utf-8")
    page = upload(client, collection.links[A], junk)
    assert attribute(page, "refused", "data-code") == "not-a-workbook"
    assert not elements(page, "button", id="submit")


# -- isolation ---------------------------------------------------------------------------


def test_a_department_cannot_open_another_departments_check(client: TestClient, collection: Collection) -> None:
    """A check made through A's link is not found through B's link, nor its marked copy."""
    page = upload(client, collection.links[A], collection.filled(A, "有错.xlsx", fiscal="1100"))
    check = form_action(page, r"/submit$").removesuffix("/submit")
    other = check.replace(collection.links[A], collection.links[B])
    assert client.get(other).status_code == 404
    assert client.get(f"{other}/marked.xlsx").status_code == 404
    assert client.post(f"{other}/submit", data={"csrf": client.cookies["csrf"]}).status_code == 404


def test_a_department_cannot_submit_another_departments_form(client: TestClient, collection: Collection) -> None:
    """B's workbook checked through A's link can be checked but not submitted."""
    page = upload(client, collection.links[A], collection.filled(B, "民政局.xlsx"))
    assert elements(page, "p", id="blocker") and not elements(page, "button", id="submit")
    check = re_check(page)
    assert client.post(f"{check}/submit", data={"csrf": client.cookies["csrf"]}).status_code == 403
    with Store(collection.db) as store:
        assert store.counts()["forms"] == 0


def re_check(page: str) -> str:
    marked = attribute(page, "marked", "href") or ""
    return marked.removesuffix("/marked.xlsx")


def test_a_department_sees_only_its_own_returns(client: TestClient, collection: Collection) -> None:
    """A's submitted return is listed on A's page, not on B's, and B cannot download its marked copy."""
    home = submit(client, upload(client, collection.links[A], collection.filled(A, "有错.xlsx", fiscal="1100")))
    form = rows(home, "returns")[0]["data-form"]
    other = client.get(collection.links[B])
    assert "returns" not in {a.get("id") for a in elements(other.text, "table")}
    assert client.get(f"{collection.links[A]}/returns/{form}/marked.xlsx").status_code == 200
    assert client.get(f"{collection.links[B]}/returns/{form}/marked.xlsx").status_code == 404


def test_an_unknown_or_revoked_link_is_not_found(client: TestClient, collection: Collection) -> None:
    """A made-up token and a revoked one both get the 404 page."""
    assert client.get("/d/not-a-real-token").status_code == 404
    with PortalTables(collection.db) as tables:
        assert tables.revoke(collection.links[A] and "湛江市信访局") == 1
    response = client.get(collection.links[A])
    assert response.status_code == 404 and attribute(response.text, "error", "data-status") == "404"


def test_tokens_are_stored_only_as_hashes(collection: Collection) -> None:
    """The database holds no department's token, only its sha256."""
    with PortalTables(collection.db) as tables:
        stored = {link.hash for link in tables.links()}
    tokens = {path.rsplit("/", 1)[1] for path in collection.links.values()}
    assert len(stored) == 2 and not stored & tokens
    assert collection.db.read_bytes().find(next(iter(tokens)).encode()) == -1


# -- security ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/d/unknown", "/static/portal.css", "/bureau"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    """CSP without script, no framing, no sniffing, no referrer to other sites (links are secrets)."""
    headers = client.get(path, follow_redirects=False).headers
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in headers["content-security-policy"] and "unsafe-inline" not in headers["content-security-policy"]
    assert (headers["x-frame-options"], headers["x-content-type-options"], headers["referrer-policy"]) == ("DENY", "nosniff", "same-origin")


def test_pages_use_no_script_and_nothing_from_elsewhere(client: TestClient, collection: Collection) -> None:
    """No page has a script element, and every style sheet and link stays on the server."""
    sign_in(client)
    for path in ("/bureau", "/bureau/intake", "/bureau/issue", "/bureau/roster", "/bureau/missing", collection.links[A]):
        page = client.get(path).text
        assert elements(page, "script") == []
        assert all(a["href"].startswith("/") for a in elements(page, "link"))


def test_cookies_are_http_only_and_same_site_and_secure_over_https(collection: Collection) -> None:
    """Behind the HTTPS proxy the session and CSRF cookies are Secure, HttpOnly and SameSite=Lax, with HSTS."""
    with TestClient(create_app(settings(collection)), base_url="https://testserver", follow_redirects=False) as client:
        login = client.get("/login")
        response = client.post("/login", data={"csrf": client.cookies["csrf"], "name": USER, "password": PASSWORD})
    assert response.status_code == 303
    for header in (login.headers["set-cookie"], response.headers["set-cookie"]):
        parts = {p.strip().split("=")[0].lower() for p in header.split(";")}
        assert {"httponly", "secure", "samesite"} <= parts and "samesite=lax" in header.lower()
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_a_post_without_its_csrf_token_is_refused(client: TestClient, collection: Collection) -> None:
    """An upload, a login and a submit without the page's token, or from another site, get 403."""
    link = collection.links[A]
    files = {"workbook": ("a.xlsx", collection.filled(A, "a.xlsx").read_bytes(), XLSX)}
    assert client.post(f"{link}/check", files=files).status_code == 403
    assert client.post(f"{link}/check", data={"csrf": "forged"}, files=files).status_code == 403
    assert client.post("/login", data={"name": USER, "password": PASSWORD}).status_code == 403
    token = csrf(client)
    other_site = client.post(f"{link}/check", data={"csrf": token}, files=files, headers={"origin": "https://evil.example"})
    assert other_site.status_code == 403
    with PortalTables(collection.db) as tables:
        assert tables.audit_log(action="upload") == []


def test_an_oversize_upload_is_refused_before_it_is_read(collection: Collection) -> None:
    """A body over the limit gets the 413 page, and nothing is checked."""
    with TestClient(create_app(settings(collection, max_upload=64 * 1024)), raise_server_exceptions=False) as client:
        token = csrf(client, collection.links[A])
        big = b"PK\x03\x04" + b"\0" * (2 * MiB)
        response = client.post(f"{collection.links[A]}/check", data={"csrf": token}, files={"workbook": ("big.xlsx", big, XLSX)})
    assert response.status_code == 413 and attribute(response.text, "error", "data-status") == "413"
    with PortalTables(collection.db) as tables:
        assert tables.audit_log(action="upload") == []


def test_uploads_through_one_link_are_rate_limited(collection: Collection) -> None:
    """The fourth upload within the window through one link gets 429; another link is not affected."""
    with TestClient(create_app(settings(collection, department_rate=(3, 60.0))), raise_server_exceptions=False) as client:
        path = collection.filled(A, "a.xlsx")
        statuses = []
        for _ in range(4):
            token = csrf(client, collection.links[A])
            statuses.append(client.post(f"{collection.links[A]}/check", data={"csrf": token}, files={"workbook": ("a.xlsx", path.read_bytes())}).status_code)
        other = client.post(f"{collection.links[B]}/check", data={"csrf": client.cookies["csrf"]}, files={"workbook": ("a.xlsx", path.read_bytes())})
    assert statuses == [200, 200, 200, 429]
    assert other.status_code == 200


def test_logins_are_rate_limited_per_account(collection: Collection) -> None:
    """After five wrong passwords the account's next attempt, even the right one, gets 429."""
    with TestClient(create_app(settings(collection)), raise_server_exceptions=False) as client:
        token = csrf(client)
        wrong = [client.post("/login", data={"csrf": token, "name": USER, "password": "wrong-password"}).status_code for _ in range(5)]
        right = client.post("/login", data={"csrf": token, "name": USER, "password": PASSWORD})
    assert wrong == [401] * 5 and right.status_code == 429
    with PortalTables(collection.db) as tables:
        actions = [e.action for e in tables.audit_log()]
    assert actions.count("login-failed") == 5 and actions[0] == "login-limited"


def test_the_bureaus_pages_need_a_login(client: TestClient) -> None:
    """Signed out, every bureau page and download leads to the login page."""
    for path in ("/bureau", "/bureau/missing", "/bureau/intake", "/bureau/exports/rollup.xlsx", "/bureau/audit"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/login")


def test_a_server_fault_gets_the_chinese_500_page_without_a_trace(client: TestClient, collection: Collection) -> None:
    """A damaged database makes a 500 page in Chinese that shows no Python."""
    sign_in(client)
    collection.db.write_bytes(b"not a database" * 100)
    response = client.get("/bureau")
    assert response.status_code == 500 and attribute(response.text, "error", "data-status") == "500"
    assert "Traceback" not in response.text and 'lang="zh-CN"' in response.text


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/no/such/page", 404), ("POST", "/bureau", 405), ("GET", "/d/x/checks/../../etc", 404)])
def test_bad_requests_get_their_own_chinese_page(client: TestClient, method: str, path: str, status: int) -> None:
    """Unknown pages and wrong methods get a page in Chinese with the status."""
    response = client.request(method, path)
    assert response.status_code == status and attribute(response.text, "error", "data-status") == str(status)


# -- the bureau -----------------------------------------------------------------------------


def test_the_dashboard_counts_each_state(client: TestClient, collection: Collection) -> None:
    """After A returns a valid form: one 已通过, one 未返回, none 有错误 or 待确认."""
    submit(client, upload(client, collection.links[A], collection.filled(A, "好.xlsx")))
    sign_in(client)
    page = client.get("/bureau").text
    assert counts(page) == {"missing": 1, "errors": 0, "held": 0, "valid": 1}
    assert [(r["data-department"], r["data-state"]) for r in rows(page, "departments")] == [(A, "valid"), (B, "missing")]


def test_the_missing_list_has_the_addresses_ready_to_copy(client: TestClient, collection: Collection) -> None:
    """Who has not returned, with their addresses in one box."""
    submit(client, upload(client, collection.links[A], collection.filled(A, "好.xlsx")))
    sign_in(client)
    page = client.get("/bureau/missing").text
    assert [r["data-department"] for r in rows(page, "missing")] == [B]
    assert "<textarea" in page and "d2@example.gov.cn</textarea>" in page


def test_the_department_page_shows_returns_problems_and_the_marked_copy(client: TestClient, collection: Collection) -> None:
    """A department with errors: its return, its problems by cell, and a marked copy to download."""
    submit(client, upload(client, collection.links[A], collection.filled(A, "有错.xlsx", fiscal="1100")))
    sign_in(client)
    page = client.get("/bureau/departments/湛江市信访局").text
    assert attribute(page, "state", "data-state") == "errors"
    returns = rows(page, "returns")
    problems = [r["data-code"] for r in rows(page, "problems")]
    assert len(returns) == 1 and "r1-budget-unbalanced" in problems
    marked = client.get(f"/bureau/forms/{returns[0]['data-form']}/marked.xlsx")
    assert marked.status_code == 200 and marked.headers["content-type"] == XLSX


def test_intake_takes_workbooks_and_emails_with_the_ingest_summary(client: TestClient, collection: Collection) -> None:
    """Two workbooks, an e-mail carrying one of them again and a text file: 2 stored, the e-mail opened, its attachment a duplicate, 1 refused."""
    import datetime as dt

    a, b = collection.filled(A, "a.xlsx"), collection.filled(B, "b.xlsx", fiscal="1")
    message = mail([("a.xlsx", a.read_bytes())], sender="d1@example.gov.cn", date=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    sign_in(client)
    files = [
        ("files", ("a.xlsx", a.read_bytes(), XLSX)),
        ("files", ("b.xlsx", b.read_bytes(), XLSX)),
        ("files", ("reply.eml", bytes(message), "message/rfc822")),
        ("files", ("notes.txt", "备忘".encode(), "text/plain")),
    ]
    page = client.post("/bureau/intake", data={"csrf": client.cookies["csrf"]}, files=files).text
    statuses = [r["data-status"] for r in rows(page, "outcomes")]
    assert sorted(statuses) == ["duplicate", "opened", "refused", "stored", "stored"]
    with Store(collection.db) as store:
        assert store.counts()["forms"] == 2
    assert counts(client.get("/bureau").text) == {"missing": 0, "errors": 1, "held": 0, "valid": 1}


def test_the_exports_download(client: TestClient, collection: Collection) -> None:
    """The status report (with marked copies) and the roll-up in each format download."""
    submit(client, upload(client, collection.links[A], collection.filled(A, "有错.xlsx", fiscal="1100")))
    sign_in(client)
    status = client.get(f"/bureau/exports/status.zip?year={YEAR}")
    with zipfile.ZipFile(io.BytesIO(status.content)) as archive:
        names = archive.namelist()
    assert "返回情况.xlsx" in names and any(n.endswith("-需修改.xlsx") for n in names)
    assert client.get(f"/bureau/exports/rollup.xlsx?year={YEAR}").headers["content-type"] == XLSX
    assert client.get(f"/bureau/exports/rollup.json?year={YEAR}").json()
    assert client.get("/bureau/exports/other.exe").status_code == 404


def test_the_bureau_uploads_a_roster_and_issues_the_forms_as_one_zip(tmp_path: Path, collection: Collection) -> None:
    """A roster uploaded on the web, then issue: a zip of workbooks, e-mail drafts carrying working links, and 发放清单.csv."""
    with TestClient(create_app(settings(collection)), raise_server_exceptions=False) as client:
        sign_in(client)
        roster = "部门名称,邮箱\n湛江市教育局,jy@example.gov.cn\n湛江市卫健局,wj@example.gov.cn\n".encode("utf-8-sig")
        posted = client.post("/bureau/roster", data={"csrf": client.cookies["csrf"]}, files={"roster": ("新名单.csv", roster, "text/csv")})
        assert [r["data-department"] for r in rows(posted.text, "roster")] == ["湛江市教育局", "湛江市卫健局"]
        response = client.post(
            "/bureau/issue",
            data={"csrf": client.cookies["csrf"], "year": "2025", "deadline": "2025-03-31", "sender": "czj@example.gov.cn", "sender_name": "市财政局"},
        )
        assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            names = sorted(Path(n).name for n in archive.namelist())
            draft = email.message_from_bytes(archive.read(next(n for n in archive.namelist() if n.endswith("湛江市教育局.eml"))), policy=email.policy.default)
        assert names == ["发放清单.csv", "湛江市卫健局.eml", "湛江市卫健局.xlsx", "湛江市教育局.eml", "湛江市教育局.xlsx"]
        body = draft.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        link = next(word for word in body.split() if "/d/" in word).removeprefix("http://testserver")
        page = client.get(link)
        assert page.status_code == 200 and attribute(page.text, "state", "class") == "state missing"


def test_the_audit_log_records_logins_uploads_and_submits(client: TestClient, collection: Collection) -> None:
    """One entry per login, upload, submit and export, newest first."""
    submit(client, upload(client, collection.links[A], collection.filled(A, "好.xlsx")))
    sign_in(client)
    client.get("/bureau/exports/rollup.xlsx")
    with PortalTables(collection.db) as tables:
        assert [e.action for e in tables.audit_log()] == ["export", "login", "submit", "upload"]


def test_the_issue_page_sends_through_the_servers_mail_server(collection: Collection) -> None:
    """With ``serve --smtp``, 直接发送 mails each department its workbook and its own working link."""
    from tests.test_mail import Inbox, free_port, start
    from xlsxform.portal.issuing import MailServer

    for inbox in start(Inbox(free_port())):
        with TestClient(create_app(settings(collection, smtp=MailServer("127.0.0.1", inbox.port), sender="czj@example.gov.cn"))) as client:
            sign_in(client)
            page = client.post(
                "/bureau/issue",
                data={"csrf": client.cookies["csrf"], "year": str(YEAR), "deadline": "", "sender": "czj@example.gov.cn", "sender_name": "", "action": "send"},
            ).text
            assert [(r["data-department"], r["data-ok"]) for r in rows(page, "sent")] == [(A, "yes"), (B, "yes")]
            assert sorted(to for to, _ in inbox.messages) == [["d1@example.gov.cn"], ["d2@example.gov.cn"]]
            for _, message in inbox.messages:
                assert [part.get_filename() for part in message.iter_attachments()] and message["To"]
                body = message.get_body(("plain",)).get_content()
                link = next(word for word in body.split() if "/d/" in word).removeprefix("http://testserver")
                assert client.get(link).status_code == 200


def test_an_oversize_upload_without_a_length_is_cut_off_while_it_streams(collection: Collection) -> None:
    """A chunked body (no Content-Length) going over the limit gets the 413 page too."""
    with TestClient(create_app(settings(collection, max_upload=64 * 1024)), raise_server_exceptions=False) as client:
        token = csrf(client, collection.links[A])
        boundary = "xlsxformboundary"

        def body() -> Iterator[bytes]:
            yield f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'.encode()
            yield f'--{boundary}\r\nContent-Disposition: form-data; name="workbook"; filename="big.xlsx"\r\n\r\n'.encode()
            for _ in range(40):
                yield b"\0" * (64 * 1024)
            yield f"\r\n--{boundary}--\r\n".encode()

        response = client.post(f"{collection.links[A]}/check", content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413 and attribute(response.text, "error", "data-status") == "413"


def test_links_issued_on_the_web_start_with_the_public_address(collection: Collection) -> None:
    """With a public address set, the drafts' links start with it, not with the address the officer used."""
    with TestClient(create_app(settings(collection, public_url="https://yjx.czj.example"))) as client:
        sign_in(client)
        response = client.post(
            "/bureau/issue", data={"csrf": client.cookies["csrf"], "year": "2025", "deadline": "", "sender": "czj@example.gov.cn", "sender_name": ""}
        )
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            manifest = archive.read(next(n for n in archive.namelist() if n.endswith(".csv"))).decode("utf-8-sig")
    links = [row.split(",")[-1] for row in manifest.splitlines()[1:]]
    assert len(links) == 2 and all(link.startswith("https://yjx.czj.example/d/") for link in links)


def test_what_a_workbook_says_is_shown_as_text_never_as_markup(client: TestClient, collection: Collection) -> None:
    """A department name and a task written as HTML are drawn as text: the page gains no element."""
    from ..helpers import fill

    path = collection.filled(A, "xss.xlsx")
    fill(path, {"B2": '<script>alert("x")</script>', "B14": '<img src=x onerror="alert(1)">'})
    page = upload(client, collection.links[A], path)
    assert elements(page, "script") == [] and elements(page, "img") == []
    assert "&lt;script&gt;" in page


def test_a_return_from_another_address_is_held_until_the_bureau_accepts_it(client: TestClient, collection: Collection) -> None:
    """B's form e-mailed from an address not on the roster is 待确认; accepting it on B's page makes it current."""
    import datetime as dt

    message = mail([("b.xlsx", collection.filled(B, "b.xlsx").read_bytes())], sender="someone@elsewhere.example", date=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    sign_in(client)
    page = client.post("/bureau/intake", data={"csrf": client.cookies["csrf"]}, files=[("files", ("reply.eml", bytes(message), "message/rfc822"))]).text
    held = [r for r in rows(page, "outcomes") if r["data-status"] == "held"]
    assert len(held) == 1
    assert counts(client.get("/bureau").text) == {"missing": 1, "errors": 0, "held": 1, "valid": 0}
    department = client.get("/bureau/departments/湛江市民政局").text
    assert attribute(department, "state", "data-state") == "held"
    assert [r["data-receipt"] for r in rows(department, "held")] == [held[0]["data-receipt"]]
    accepted = client.post(
        "/bureau/held", data={"csrf": client.cookies["csrf"], "receipt": held[0]["data-receipt"], "back": "/bureau/departments/湛江市民政局"}
    )
    assert accepted.url.path == "/bureau/departments/湛江市民政局"
    assert attribute(accepted.text, "state", "data-state") == "valid"
    assert counts(client.get("/bureau").text) == {"missing": 1, "errors": 0, "held": 0, "valid": 1}
    with PortalTables(collection.db) as tables:
        assert [e.detail["receipt"] for e in tables.audit_log(action="accept")] == [int(held[0]["data-receipt"])]


def test_accepting_what_is_not_a_receipt_gets_a_chinese_page(client: TestClient) -> None:
    """An unknown receipt number, or one that is not a number, gets the 400 page."""
    sign_in(client)
    assert elements(client.get("/bureau/held").text, "p", id="none-held")
    for receipt in ("999", "x"):
        response = client.post("/bureau/held", data={"csrf": client.cookies["csrf"], "receipt": receipt})
        assert response.status_code == 400 and attribute(response.text, "error", "data-status") == "400"


# -- the family of forms -----------------------------------------------------------------


def _owed(page: str) -> dict[str, str]:
    """The department page's forms, by form id, with each one's state."""
    return {r["data-form"]: r["data-state"] for r in rows(page, "owed") if "data-project" not in r}


def _projects(page: str, form: str = EVALUATION) -> dict[str, str]:
    return {r["data-project"]: r["data-state"] for r in rows(page, "owed") if r.get("data-form") == form and "data-project" in r}


def test_the_department_page_lists_every_form_issued_to_it_through_any_of_its_links(client: TestClient, collection: Collection) -> None:
    """After the 自评表 is issued too, both the first link and the new one list both forms, each 未返回."""
    evaluation_links = issue_form(collection, EVALUATION)
    for link in (collection.links[A], evaluation_links[A]):
        page = client.get(link)
        assert page.status_code == 200
        assert _owed(page.text) == {FIRST_FORM: "missing", EVALUATION: "missing"}


def test_reissuing_a_form_revokes_only_that_forms_earlier_links(client: TestClient, collection: Collection) -> None:
    """The 自评表 issued twice: its first link is gone, the latest and the first form's link still open the page."""
    first = issue_form(collection, EVALUATION)
    latest = issue_form(collection, EVALUATION)
    assert client.get(first[A]).status_code == 404
    assert client.get(latest[A]).status_code == 200
    assert client.get(collection.links[A]).status_code == 200


def test_each_issued_form_has_its_own_pre_filled_template(client: TestClient, collection: Collection, tmp_path: Path) -> None:
    """The 自评表's template is that form, the department's and the year's; a form not issued has none."""
    issue_form(collection, EVALUATION)
    response = client.get(f"{collection.links[A]}/forms/{EVALUATION}/template.xlsx")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    (tmp_path / "自评.xlsx").write_bytes(response.content)
    result = read(tmp_path / "自评.xlsx")
    assert (result.form_id, result.form.department, result.form.year) == (EVALUATION, A, YEAR)
    assert client.get(f"{collection.links[A]}/forms/project-performance-target/template.xlsx").status_code == 404


def test_an_upload_shows_the_form_recognised_and_is_submitted_under_it(client: TestClient, collection: Collection) -> None:
    """A 自评表 uploaded through the first form's link is recognised, submitted with origin web, and only that form turns 已通过."""
    issue_form(collection, EVALUATION)
    checked = upload(client, collection.links[A], self_evaluation(collection.folder, "自评.xlsx"))
    assert attribute(checked, "recognised", "data-form") == EVALUATION
    assert attribute(checked, "summary", "data-errors") == "0"
    page = submit(client, checked)
    assert _owed(page) == {FIRST_FORM: "missing", EVALUATION: "valid"}
    with Store(collection.db) as store:
        assert [(f.template_id, f.department, f.year) for f in store.forms()] == [(EVALUATION, A, YEAR)]
        assert {r.origin for r in store.receipts()} == {"web"}


def test_a_form_not_issued_to_the_department_cannot_be_submitted(client: TestClient, collection: Collection) -> None:
    """A 自评表 uploaded where only the first form was issued is checked, but has no submit button and a submit is refused."""
    checked = upload(client, collection.links[A], self_evaluation(collection.folder, "自评.xlsx"))
    assert attribute(checked, "recognised", "data-form") == EVALUATION
    assert elements(checked, id="blocker") and not elements(checked, "button", id="submit")
    marked = next(a["href"] for a in elements(checked, "a", id="marked"))
    refused = client.post(marked.replace("/marked.xlsx", "/submit"), data={"csrf": client.cookies["csrf"]})
    assert refused.status_code == 403
    with Store(collection.db) as store:
        assert store.forms() == []


def test_a_self_evaluation_of_another_year_is_refused(client: TestClient, collection: Collection) -> None:
    """The link's year holds for every form: a 2023 自评表 cannot be submitted through a 2024 link."""
    issue_form(collection, EVALUATION)
    checked = upload(client, collection.links[A], self_evaluation(collection.folder, "2023.xlsx", year=YEAR - 1))
    assert elements(checked, id="blocker") and not elements(checked, "button", id="submit")


def test_a_workbook_of_several_projects_is_a_receipt_per_sheet_and_a_row_per_project(client: TestClient, collection: Collection) -> None:
    """Two projects on two sheets: the check lists both sheets, the submit stores both, and the page lists each project's return."""
    issue_form(collection, EVALUATION)
    checked = upload(client, collection.links[A], self_evaluation(collection.folder, "两个项目.xlsx", projects=("甲项目", "乙项目")))
    assert [(r["data-form"], r["data-errors"]) for r in rows(checked, "sheets")] == [(EVALUATION, "0"), (EVALUATION, "0")]
    page = submit(client, checked)
    assert _projects(page) == {"甲项目": "valid", "乙项目": "valid"}
    assert _owed(page)[EVALUATION] == "valid"
    with Store(collection.db) as store:
        assert sorted(f.scope for f in store.forms(current=True)) == ["乙项目", "甲项目"]
        assert sorted(r.outcome for r in store.receipts() if r.kind == "sheet") == ["stored", "stored"]


def test_a_project_with_errors_makes_its_form_have_errors(client: TestClient, collection: Collection) -> None:
    """One project valid and one with errors: that project 有错误, and so the form."""
    issue_form(collection, EVALUATION)
    submit(client, upload(client, collection.links[A], self_evaluation(collection.folder, "好.xlsx")))
    wrong = self_evaluation(collection.folder, "错.xlsx", projects=("乙项目",), spent="1")
    page = submit(client, upload(client, collection.links[A], wrong))
    assert _projects(page) == {"信访事项复查复核专项经费": "valid", "乙项目": "errors"}
    assert _owed(page)[EVALUATION] == "errors"


def test_the_dashboard_missing_list_and_department_page_follow_the_form_chosen(client: TestClient, collection: Collection) -> None:
    """A's 自评表 submitted: the 自评表 dashboard counts it 已通过, the first form's still has both 未返回, and the missing list is per form."""
    issue_form(collection, EVALUATION)
    submit(client, upload(client, collection.links[A], self_evaluation(collection.folder, "自评.xlsx")))
    sign_in(client)
    first = client.get(f"/bureau?year={YEAR}").text
    assert attribute(first, "dashboard", "data-form") == FIRST_FORM
    assert counts(first) == {"missing": 2, "errors": 0, "held": 0, "valid": 0}
    chosen = client.get(f"/bureau?form={EVALUATION}&year={YEAR}").text
    assert attribute(chosen, "dashboard", "data-form") == EVALUATION
    assert counts(chosen) == {"missing": 1, "errors": 0, "held": 0, "valid": 1}
    assert [(r["data-department"], r["data-state"]) for r in rows(chosen, "departments")] == [(f"{A}（信访事项复查复核专项经费）", "valid"), (B, "missing")]
    assert [a["data-form"] for a in elements(chosen, "a") if a.get("class") == "current" and "data-form" in a] == [EVALUATION]
    missing = client.get(f"/bureau/missing?form={EVALUATION}&year={YEAR}").text
    assert [r["data-department"] for r in rows(missing, "missing")] == [B]
    assert [r["data-department"] for r in rows(client.get(f"/bureau/missing?year={YEAR}").text, "missing")] == [A, B]
    department = client.get(f"/bureau/departments/{A}?form={EVALUATION}&year={YEAR}").text
    assert attribute(department, "state", "data-state") == "valid" and len(rows(department, "returns")) == 1
    assert attribute(client.get("/bureau?form=no-such-form").text, "dashboard", "data-form") == FIRST_FORM


def test_the_exports_are_of_the_form_chosen(client: TestClient, collection: Collection) -> None:
    """The roll-up and the status report of the 自评表 are of that form (the report headed with its name); the first form's roll-up stays the first form's."""
    issue_form(collection, EVALUATION)
    submit(client, upload(client, collection.links[A], self_evaluation(collection.folder, "自评.xlsx")))
    sign_in(client)
    document = client.get(f"/bureau/exports/rollup.json?form={EVALUATION}&year={YEAR}").json()
    assert (document["form"], [d["department"] for d in document["departments"]]) == (EVALUATION, [A])
    assert client.get(f"/bureau/exports/rollup.json?year={YEAR}").json()["form"] == FIRST_FORM
    status = client.get(f"/bureau/exports/status.zip?form={EVALUATION}&year={YEAR}")
    assert status.status_code == 200
    with zipfile.ZipFile(io.BytesIO(status.content)) as archive:
        report = openpyxl.load_workbook(io.BytesIO(archive.read("返回情况.xlsx")))
    assert report.worksheets[0]["A1"].value == f"{YEAR}年项目支出绩效自评表返回情况"
    assert client.get(f"/bureau/exports/rollup.xlsx?form={EVALUATION}&year={YEAR}").headers["content-type"] == XLSX


def test_issuing_on_the_web_chooses_the_form(client: TestClient, collection: Collection, tmp_path: Path) -> None:
    """The issue page issues the 自评表: its workbooks are that form, and its links open a page listing it beside the first form."""
    sign_in(client)
    page = client.get("/bureau/issue").text
    assert {o["value"] for o in elements(page, "option")} == {FIRST_FORM, "project-performance-target", EVALUATION}
    response = client.post(
        "/bureau/issue",
        data={"csrf": client.cookies["csrf"], "form": EVALUATION, "year": str(YEAR), "deadline": "2024-12-31", "sender": "czj@example.gov.cn"},
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        workbook = next(n for n in archive.namelist() if n.endswith(f"{A}.xlsx"))
        (tmp_path / "issued.xlsx").write_bytes(archive.read(workbook))
        manifest = archive.read(next(n for n in archive.namelist() if n.endswith("发放清单.csv"))).decode("utf-8-sig")
    assert read(tmp_path / "issued.xlsx").form_id == EVALUATION
    link = next(row["链接"] for row in csv.DictReader(io.StringIO(manifest)) if row["部门名称"] == A).removeprefix("http://testserver")
    assert _owed(client.get(link).text) == {FIRST_FORM: "missing", EVALUATION: "missing"}
    refused = client.post("/bureau/issue", data={"csrf": client.cookies["csrf"], "form": "no-such-form", "year": str(YEAR), "sender": "czj@example.gov.cn"})
    assert refused.status_code == 400


def test_a_problem_on_another_sheet_is_listed_with_its_sheet_and_not_drawn_on_the_first(client: TestClient, collection: Collection) -> None:
    """Two projects, the second with an error: the first sheet is drawn without it, and the list names the second sheet."""
    issue_form(collection, EVALUATION)
    workbook = self_evaluation(collection.folder, "两个项目.xlsx", projects=("甲项目", "乙项目"))
    book = openpyxl.load_workbook(workbook)
    book["项目2"]["E5"] = 1
    book.save(workbook)
    checked = upload(client, collection.links[A], workbook)
    assert [(r["data-sheet"], r["data-errors"]) for r in rows(checked, "sheets")] == [("绩效自评表", "0"), ("项目2", "1")]
    assert highlighted(checked) == {}
    assert [(r["data-code"], r["data-sheet"]) for r in rows(checked, "problems")] == [("s1-funds-unbalanced", "项目2")]


def test_a_total_no_office_suite_worked_out_is_drawn_as_its_sum(client: TestClient, collection: Collection) -> None:
    """A formula a program wrote without a result (支出合计) is drawn as the sum the reader works out, not as the formula's text."""
    import re

    from xlsxform.form import amounts

    path = collection.filled(A, "有错.xlsx", fiscal="1100")
    page = upload(client, collection.links[A], path)
    budget = read(path).form.budget  # type: ignore[attr-defined]
    drawn = re.search(r'<td id="cell-C7"[^>]*>(?:<span class="marker">[^<]*</span>)?([^<]*)</td>', page)
    assert drawn is not None and drawn[1] == amounts.text(budget.basic + budget.project)


def test_every_form_the_portal_serves_refuses_a_post_without_its_token(client: TestClient, collection: Collection) -> None:
    """Each route that takes a POST answers 403 to one without the CSRF token, signed in or not, and the list below is every such route."""
    from starlette.routing import Route

    link = collection.links[A]
    check = form_action(upload(client, link, collection.filled(A, "a.xlsx")), r"/submit$")
    sign_in(client)
    targets = {
        "/login": "/login",
        "/logout": "/logout",
        "/bureau/departments/{key}/revoke": f"/bureau/departments/{A}/revoke",
        "/bureau/held": "/bureau/held",
        "/bureau/intake": "/bureau/intake",
        "/bureau/roster": "/bureau/roster",
        "/bureau/issue": "/bureau/issue",
        "/d/{token}/check": f"{link}/check",
        "/d/{token}/checks/{check_id}/submit": check,
    }
    posting = {r.path for r in client.app.starlette.routes if isinstance(r, Route) and "POST" in (r.methods or ())}  # type: ignore[attr-defined]
    assert posting == set(targets)
    refused = {path: client.post(url, data={"name": USER}).status_code for path, url in targets.items()}
    assert refused == dict.fromkeys(targets, 403)
