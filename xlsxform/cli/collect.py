"""The commands of the collection loop: issue, ingest, receipts, accept, status, export."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Any

from xlsxform.cli.common import OK, PROBLEMS, _chosen, _err, _output, _print_json, _readable, _say, _spec
from xlsxform.errors import FormDataError, RosterError

_WHY = {
    "latest": ("发送时间最晚", "sent last"),
    "latest-not-held": ("除待确认的以外发送时间最晚", "sent last but for the held ones"),
    "taken-later": ("发送时间相同，收取在后", "sent at the same time, taken in later"),
    "accepted": ("经办人已确认采用", "chosen by the officer"),
    "earlier": ("此前收到的版本发送时间更晚", "a return taken in before was sent later"),
    "held": ("均待确认，暂无当前版本", "all are held; none is current"),
}


_OUTCOMES = {
    "stored": ("已入库", "stored"),
    "duplicate": ("重复", "duplicate"),
    "refused": ("拒收", "refused"),
    "held": ("待确认", "held"),
    "opened": ("已拆开", "opened"),
}


def _issue(args: argparse.Namespace) -> int:
    import dataclasses

    from xlsxform.collection.mail import (
        PASSWORD_VARIABLE,
        issued_message,
        load_template,
        parse_server,
        send,
        write_eml,
    )
    from xlsxform.collection.outbox import issue, write_manifest
    from xlsxform.collection.roster import read_roster
    from xlsxform.errors import MailError

    roster = read_roster(_readable(args.roster, RosterError))
    spec = _spec(args)
    mailing = args.eml or args.smtp
    template = password = server = None
    if mailing:
        if not args.sender:
            raise MailError("用 --eml 或 --smtp 时须以 --from 指定发件人邮箱", "--eml and --smtp need the sender's address: --from ADDRESS")
        template = load_template(_readable(args.email_template, MailError) if args.email_template else None)
    if args.smtp:
        server = parse_server(args.smtp)
        if args.smtp_user:
            password = os.environ.get(PASSWORD_VARIABLE)
            if password is None:
                raise MailError(
                    f"请在环境变量 {PASSWORD_VARIABLE} 中提供邮件服务器密码", f"set the mail server password in the environment variable {PASSWORD_VARIABLE}"
                )
    if args.output.exists() and not args.output.is_dir():
        raise FormDataError("输出位置已存在且不是文件夹", "the output exists and is not a folder", path=args.output)
    if args.portal and args.db is None:
        raise FormDataError("用 --portal 时须以 --db 指定门户的数据库", "--portal needs the portal's database: --db DB")
    issued = issue(roster, args.output, year=args.year, spec=spec, fallback_fonts=args.fallback_fonts, overwrite=args.overwrite)
    links = _portal_links(args, issued, spec.form.id) if args.portal else None
    if template is not None and links is not None:
        from xlsxform.portal.links import with_link

        template = with_link(template)
    deliveries: dict[str, str] = {}
    failures: list[tuple[str, str, str]] = []
    if template is not None:
        deadline = _deadline(args.deadline, args.lang)
        messages = []
        for n, item in enumerate(issued):
            link = (links or {}).get(item.form_id, "")
            message = issued_message(template, item, year=args.year, deadline=deadline, sender=args.sender, sender_name=args.from_name, link=link)
            if args.eml:
                draft = item.workbook.with_suffix(".eml")
                write_eml(message, draft)
                issued[n] = dataclasses.replace(item, draft=draft)
            else:
                messages.append((item.form_id, message))
        if server is not None:
            write_manifest(args.output, issued, links=links)  # what was written, even if the server cannot be reached
            by_id = {item.form_id: item for item in issued}
            for delivery in send(messages, *server, starttls=args.starttls, user=args.smtp_user, password=password):
                deliveries[delivery.key] = "已发送" if delivery.ok else f"发送失败：{delivery.reason}"
                if not delivery.ok:
                    failures.append((by_id[delivery.key].department.name, by_id[delivery.key].department.email, delivery.reason))
    manifest = write_manifest(args.output, issued, deliveries, links=links)
    _say(
        args,
        f"已为 {len(issued)} 个部门生成 {args.year} 年表格：{args.output}（发放清单：{manifest.name}）",
        f"wrote {len(issued)} workbooks for {args.year}: {args.output} (list: {manifest.name})",
    )
    if args.eml:
        _say(args, f"邮件草稿 {len(issued)} 封（.eml，与表格同名，可用邮件程序打开后发送）", f"{len(issued)} e-mail drafts (.eml beside each workbook)")
    if args.smtp:
        sent = len(issued) - len(failures)
        _say(args, f"已发送 {sent} 封，失败 {len(failures)} 封", f"sent {sent}, failed {len(failures)}")
        for name, address, reason in failures:
            print(f"  {name}  {address}  {reason}")
    return PROBLEMS if failures else OK


def _portal_links(args: argparse.Namespace, issued: list[Any], form: str) -> dict[str, str]:
    """A private link per department (``--portal``), stored hashed in the portal's database with the form issued."""
    from xlsxform.portal.links import base_url, issue_links

    return issue_links(args.db, issued, year=args.year, deadline=_deadline(args.deadline, "zh"), base=base_url(args.portal), form=form)


def _deadline(text: str | None, lang: str) -> str:
    """A deadline for the e-mail: a date (2024-03-31) written out, or the text as given."""
    if text is None:
        day = dt.date.today() + dt.timedelta(days=14)
    else:
        try:
            day = dt.date.fromisoformat(text.strip())
        except ValueError:
            return text.strip()
    return day.isoformat() if lang == "en" else f"{day.year}年{day.month}月{day.day}日"


def _existing_db(path: Path, *, write: bool = True) -> Any:
    from xlsxform.collection.store import Store
    from xlsxform.errors import StoreError

    if not path.is_file():
        raise StoreError("数据库不存在（请先用 ingest 收取表格）", "no such database (run ingest first)", path=path)
    return Store(path, write=write)


def _ingest(args: argparse.Namespace) -> int:
    from xlsxform.collection.ingest import Progress, ingest
    from xlsxform.collection.roster import read_roster
    from xlsxform.collection.store import Store

    missing = [p for p in args.inputs if not p.exists()]
    if missing:
        raise FormDataError("找不到这个文件或文件夹", "no such file or folder", path=missing[0])
    roster = read_roster(_readable(args.roster, RosterError)) if args.roster else None
    if args.report is not None:
        _output(args.report)
    from xlsxform.spec.loading import load_spec

    # Each return is stored under its form: recognised, unless --form or --spec says.
    spec = _chosen(args) or (load_spec(args.spec) if args.spec else None)
    with Store(args.db) as store:
        progress = Progress("读取" if args.lang != "en" else "reading")
        try:
            summary = ingest(args.inputs, store, roster=roster, spec=spec, jobs=args.jobs, progress=progress)
        finally:
            progress.close()
        print(_ingest_table(summary, args.lang))
        if roster is not None or args.report is not None:
            _status_lines(args, store, roster, None, args.report, full=False)
    new_errors = any(o.errors for o in summary.stored)
    return PROBLEMS if summary.refused or summary.held or new_errors else OK


def _ingest_table(summary: Any, lang: str) -> str:
    from xlsxform.collection.ingest import text_table
    from xlsxform.collection.status import local_time

    en = lang == "en"
    stored = summary.stored
    valid = sum(not o.errors for o in stored)
    rows = [
        ["", "items" if en else "件数"],
        ["stored as forms" if en else "新入库表格", str(len(stored))],
        ["  valid" if en else "  其中已通过", str(valid)],
        ["  with errors" if en else "  其中有错误", str(len(stored) - valid)],
        ["same content again" if en else "重复收到（内容已入库）", str(summary.count("duplicate"))],
        ["held (awaiting confirmation)" if en else "待确认（非部门邮箱发来）", str(len(summary.held))],
        ["refused" if en else "拒收", str(len(summary.refused))],
        ["xlsxform's own files (not returns)" if en else "本程序生成的文件（不是返回）", str(len(summary.own))],
        ["e-mails and archives opened" if en else "拆开的邮件和压缩包", str(summary.count("opened"))],
        ["recorded before (skipped)" if en else "此前已记录（跳过）", str(summary.count("known"))],
        ["total" if en else "合计", str(len(summary.outcomes))],
    ]
    lines = [("Ingested:" if en else "收取结果："), text_table(rows, right={1})]
    if summary.refused:
        lines.append("Refused:" if en else "拒收的文件：")
        lines.append(text_table([[f"  {o.receipt.name}", (o.reason_en if en else o.reason)] for o in summary.refused]))
    if summary.held:
        lines.append(
            "Held (not the department's address; accept with: xlsxform accept RECEIPT --db DB):"
            if en
            else "待确认（不是名单中该部门的邮箱发来的；确认后用 xlsxform accept 收件编号 --db 数据库 采用）："
        )
        lines.append(text_table([[f"  {o.id}", o.department, o.receipt.name, o.receipt.sender or ""] for o in summary.held]))
    for conflict in summary.conflicts:
        names = ("、" if not en else ", ").join(
            f"{name}（{local_time(sent)}）" if not en else f"{name} ({local_time(sent)})" for _, name, sent in conflict.returns
        )
        kept = next((name for receipt, name, _ in conflict.returns if receipt == conflict.kept), "")
        zh, why_en = _WHY.get(conflict.why, (conflict.why, conflict.why))
        if en:
            lines.append(
                f"{conflict.department}: {len(conflict.returns)} returns ({conflict.distinct} different) in this batch: {names}; kept {kept or '-'} ({why_en})"
            )
        else:
            lines.append(
                f"{conflict.department}：本批收到 {len(conflict.returns)} 份表格（{conflict.distinct} 种不同内容）：{names}；采用 {kept or '—'}（{zh}）"
            )
    return "\n".join(lines)


def _status_lines(args: argparse.Namespace, store: Any, roster: Any, year: int | None, report: Path | None, *, full: bool) -> list[Any]:
    from xlsxform.collection.ingest import text_table
    from xlsxform.collection.status import (
        ORDER,
        counts,
        default_year,
        department_status,
        local_time,
        state_label,
        write_report,
    )

    en = args.lang == "en"
    year = year if year is not None else default_year(store)
    spec = _spec(args)
    rows = department_status(store, roster, year, spec.form.id)
    if full:
        table = [
            ["No.", "Department", "Status", "Errors", "Warnings", "Returns", "Latest"]
            if en
            else ["序号", "部门名称", "状态", "错误", "警告", "返回次数", "最近返回"]
        ]
        for n, row in enumerate(rows, 1):
            shown = (str(row.errors), str(row.warnings), str(row.versions), local_time(row.form.received_at)) if row.form else ("", "", str(row.versions), "")
            table.append([str(n), row.department or "-", state_label(row.state, args.lang), *shown])
        print(text_table(table, right={0, 3, 4, 5}))
        for row in rows:
            for held in row.held:
                _say(
                    args,
                    f"  待确认：{row.department} 收件 {held.id}（{held.name}）来自 {held.sender}，不是名单中的邮箱 {row.email or '（无）'}；采用请运行 xlsxform accept {held.id} --db {args.db}",
                    f"  held: {row.department} receipt {held.id} ({held.name}) from {held.sender}, not the roster's {row.email or '-'}; to take it: xlsxform accept {held.id} --db {args.db}",
                )
            if row.accepted_at and row.form is not None:
                _say(
                    args,
                    f"  {row.department}：当前版本为经办人于 {local_time(row.accepted_at)} 确认采用的收件 {row.form.receipt}",
                    f"  {row.department}: the current return is receipt {row.form.receipt}, chosen by the officer at {local_time(row.accepted_at)}",
                )
    tally = counts(rows)
    states = [s for s in dict.fromkeys(("valid", "errors", "missing", *ORDER)) if tally.get(s) or s not in ("unlisted", "held")]
    parts = ("，" if not en else ", ").join(f"{state_label(s, args.lang)} {tally[s]}" for s in states)
    where = f"{year}" if year else ""
    if roster is not None:
        _say(args, f"对照名单（{len(roster)} 个部门，{where}年）：{parts}", f"against the roster ({len(roster)} departments, {where}): {parts}")
    else:
        _say(args, f"已返回 {len(rows)} 个部门（{where}年）：{parts}", f"{len(rows)} departments returned a form ({where}): {parts}")
    if not full:
        for state in ("errors", "missing", "held"):
            names = [r.department for r in rows if r.state == state]
            if names:
                print(f"  {state_label(state, args.lang)}：{'、'.join(names)}" if not en else f"  {state_label(state, 'en')}: {', '.join(names)}")
    if report is not None:
        from xlsxform.collection.status import annotation_folder

        written = write_report(store, rows, report, lang=args.lang)
        marked = sum(r.annotated is not None for r in written.rows)
        if written.annotations and marked:
            folder = annotation_folder(report)
            _say(
                args,
                f"已生成返回情况表：{report}（退回修改表 {marked} 份：{folder}）",
                f"wrote the status workbook: {report} ({marked} marked workbooks in {folder})",
            )
        elif written.annotations:
            _say(args, f"已生成返回情况表：{report}（没有需要退回修改的表格）", f"wrote the status workbook: {report} (no workbook to send back)")
        else:
            _say(
                args,
                f"已生成返回情况表：{report}（未安装批注功能，未生成退回修改表）",
                f"wrote the status workbook: {report} (no annotate module: no marked workbooks)",
            )
        for name, reason in written.failed.items():
            _err(f"{name}: {'无法生成退回修改表' if not en else 'cannot mark the workbook'}：{reason}")
    return rows


def _status(args: argparse.Namespace) -> int:
    from xlsxform.collection.roster import read_roster

    roster = read_roster(_readable(args.roster, RosterError)) if args.roster else None
    if args.report is not None:
        _output(args.report)
    if args.format == "json":
        from xlsxform.collection.status import default_year, department_status

        with _existing_db(args.db, write=args.report is not None) as store:
            year = args.year if args.year is not None else default_year(store)
            rows = department_status(store, roster, year, _spec(args).form.id)
            if args.report is not None:
                from xlsxform.collection.status import write_report

                write_report(store, rows, args.report, lang=args.lang)
        _print_json([row.as_json() for row in rows])
    else:
        with _existing_db(args.db, write=args.report is not None) as store:
            rows = _status_lines(args, store, roster, args.year, args.report, full=True)
    return OK if all(r.state == "valid" for r in rows) else PROBLEMS


def _receipts(args: argparse.Namespace) -> int:
    from xlsxform.collection.ingest import text_table
    from xlsxform.collection.status import local_time

    en = args.lang == "en"
    with _existing_db(args.db, write=False) as store:
        receipts = store.receipts(outcome=args.outcome)
    if args.format == "json":
        _print_json([r.as_json() for r in receipts])
        return OK
    table = [
        ["No.", "Name", "From", "Sender", "Sent", "Department", "Outcome", "Reason"]
        if en
        else ["编号", "名称", "来源", "发件人", "发送时间", "部门", "结果", "原因"]
    ]
    for r in receipts:
        shown = _OUTCOMES[r.outcome][en]
        if r.accepted_at:
            shown += " (accepted)" if en else "（已确认采用）"
        table.append([str(r.id), r.name, r.origin, r.sender or "", local_time(r.sent_at), r.department or "", shown, (r.reason_en if en else r.reason) or ""])
    print(text_table(table, right={0}))
    return OK


def _accept(args: argparse.Namespace) -> int:
    from xlsxform.collection.status import local_time

    with _existing_db(args.db) as store:
        receipt = store.accept(args.receipt)
    _say(
        args,
        f"已采用收件 {receipt.id}（{receipt.name}，{receipt.sender or '文件'}，{local_time(receipt.sent_at)}）作为{receipt.department}的当前版本",
        f"receipt {receipt.id} ({receipt.name}, {receipt.sender or 'file'}, {local_time(receipt.sent_at)}) is now the current return of {receipt.department}",
    )
    return OK


def _export(args: argparse.Namespace) -> int:
    from xlsxform.collection.export import csv_paths, export
    from xlsxform.collection.roster import read_roster

    roster = read_roster(_readable(args.roster, RosterError)) if args.roster else None
    with _existing_db(args.db) as store:
        result = export(store, args.output, year=args.year, roster=roster, include_errors=args.include_errors, spec=_spec(args))
    files = [p for target in args.output for p in (csv_paths(target, result.sheets) if target.suffix.lower() == ".csv" else [target])]
    _say(
        args,
        f"已导出{result.year or ''}年汇总（{len(result.departments)} 个部门）：{'、'.join(map(str, files))}",
        f"exported the {result.year or ''} roll-up ({len(result.departments)} departments): {', '.join(map(str, files))}",
    )
    print(result.scope(args.lang))
    return OK


# -- the portal: serve, user add ------------------------------------------------------
