"""The collection loop: issue, ingest, status, export."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Any

from xlsxform.cli.common import OK, PROBLEMS, _chosen, _err, _output, _say, _spec
from xlsxform.errors import FormDataError


def _issue(args: argparse.Namespace) -> int:
    import dataclasses

    from xlsxform.collection.mail import (
        PASSWORD_VARIABLE,
        compose,
        load_template,
        parse_server,
        send,
        write_eml,
    )
    from xlsxform.collection.outbox import issue, write_manifest
    from xlsxform.collection.roster import read_roster
    from xlsxform.errors import MailError

    roster = read_roster(args.roster)
    spec = _spec(args)
    mailing = args.eml or args.smtp
    template = password = server = None
    if mailing:
        if not args.sender or "@" not in args.sender:
            raise MailError("用 --eml 或 --smtp 时须以 --from 指定发件人邮箱", "--eml and --smtp need the sender's address: --from ADDRESS")
        template = load_template(args.email_template)
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
    issued = issue(roster, args.output, year=args.year, spec=spec, fallback_fonts=args.fallback_fonts)
    deliveries: dict[str, str] = {}
    failures: list[tuple[str, str, str]] = []
    if template is not None:
        deadline = _deadline(args.deadline, args.lang)
        messages = []
        for n, item in enumerate(issued):
            context = {
                "department": item.department.name,
                "year": args.year,
                "deadline": deadline,
                "file": item.workbook.name,
                "form_id": item.form_id,
                "code": item.department.code,
            }
            message = compose(template, sender=args.sender, sender_name=args.from_name, to=item.department.email, context=context, attachment=item.workbook)
            if args.eml:
                draft = item.workbook.with_suffix(".eml")
                write_eml(message, draft)
                issued[n] = dataclasses.replace(item, draft=draft)
            else:
                messages.append((item.form_id, message))
        if server is not None:
            write_manifest(args.output, issued)  # what was written, even if the server cannot be reached
            by_id = {item.form_id: item for item in issued}
            for delivery in send(messages, *server, starttls=args.starttls, user=args.smtp_user, password=password):
                deliveries[delivery.key] = "已发送" if delivery.ok else f"发送失败：{delivery.reason}"
                if not delivery.ok:
                    failures.append((by_id[delivery.key].department.name, by_id[delivery.key].department.email, delivery.reason))
    manifest = write_manifest(args.output, issued, deliveries)
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


def _existing_db(path: Path) -> Any:
    from xlsxform.collection.store import Store
    from xlsxform.errors import StoreError

    if not path.is_file():
        raise StoreError("数据库不存在（请先用 ingest 收取表格）", "no such database (run ingest first)", path=path)
    return Store(path)


def _ingest(args: argparse.Namespace) -> int:
    from xlsxform.collection.ingest import Progress, ingest
    from xlsxform.collection.roster import read_roster
    from xlsxform.collection.store import Store

    missing = [p for p in args.inputs if not p.exists()]
    if missing:
        raise FormDataError("找不到这个文件或文件夹", "no such file or folder", path=missing[0])
    roster = read_roster(args.roster) if args.roster else None
    if args.report is not None:
        _output(args.report)
    from xlsxform.spec.layout import load_spec

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
    return PROBLEMS if summary.refused or new_errors else OK


def _ingest_table(summary: Any, lang: str) -> str:
    from xlsxform.collection.ingest import text_table

    en = lang == "en"
    stored = summary.stored
    valid = sum(not o.errors for o in stored)
    superseded = sum(bool(o.superseded) for o in stored)
    rows = [
        ["", "files" if en else "份数"],
        ["stored as forms" if en else "新入库表格", str(len(stored))],
        ["  valid" if en else "  其中已通过", str(valid)],
        ["  with errors" if en else "  其中有错误", str(len(stored) - valid)],
        ["  replacing an earlier return" if en else "  其中取代了旧版本", str(superseded)],
        ["duplicates in this batch" if en else "本批重复（只收一份）", str(summary.count("duplicate"))],
        ["already in the database" if en else "此前已收（跳过）", str(summary.count("known"))],
        ["refused" if en else "拒收", str(len(summary.refused))],
        ["total" if en else "合计", str(len(summary.outcomes))],
    ]
    lines = [("Ingested:" if en else "收取结果："), text_table(rows, right={1})]
    if summary.refused:
        lines.append("Refused:" if en else "拒收的文件：")
        lines.append(text_table([[f"  {o.input.file_name}", (o.reason_en if en else o.reason)] for o in summary.refused]))
    return "\n".join(lines)


def _status_lines(args: argparse.Namespace, store: Any, roster: Any, year: int | None, report: Path | None, *, full: bool) -> list[Any]:
    from xlsxform.collection.ingest import text_table
    from xlsxform.collection.status import (
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
    rows = department_status(store, roster, year, spec.form.id, spec.form.subject)
    if full:
        table = [
            ["No.", "Department", "Status", "Errors", "Warnings", "Returns", "Latest"]
            if en
            else ["序号", "部门名称", "状态", "错误", "警告", "返回次数", "最近返回"]
        ]
        for n, row in enumerate(rows, 1):
            shown = (str(row.errors), str(row.warnings), str(row.versions), local_time(row.form.received_at)) if row.form else ("", "", "0", "")
            table.append([str(n), row.department or "-", state_label(row.state, args.lang), *shown])
        print(text_table(table, right={0, 3, 4, 5}))
    tally = counts(rows)
    states = [s for s in ("valid", "errors", "missing", "unlisted") if tally[s] or s != "unlisted"]
    parts = ("，" if not en else ", ").join(f"{state_label(s, args.lang)} {tally[s]}" for s in states)
    where = f"{year}" if year else ""
    if roster is not None:
        _say(args, f"对照名单（{len(roster)} 个部门，{where}年）：{parts}", f"against the roster ({len(roster)} departments, {where}): {parts}")
    else:
        _say(args, f"已返回 {len(rows)} 个部门（{where}年）：{parts}", f"{len(rows)} departments returned a form ({where}): {parts}")
    if not full:
        for state in ("errors", "missing"):
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

    roster = read_roster(args.roster) if args.roster else None
    if args.report is not None:
        _output(args.report)
    with _existing_db(args.db) as store:
        rows = _status_lines(args, store, roster, args.year, args.report, full=True)
    return OK if all(r.state == "valid" for r in rows) else PROBLEMS


def _export(args: argparse.Namespace) -> int:
    from xlsxform.collection.export import csv_paths, export

    with _existing_db(args.db) as store:
        result = export(store, args.output, year=args.year, spec=_spec(args))
    files = [p for target in args.output for p in (csv_paths(target) if target.suffix.lower() == ".csv" else [target])]
    shown = "、".join(map(str, files))
    count = len(result.forms)
    _say(
        args,
        f"已导出 {count} 个部门的汇总（{result.year or '-'}年）：{shown}",
        f"exported {count} departments ({result.year or '-'}): {', '.join(map(str, files))}",
    )
    return OK
