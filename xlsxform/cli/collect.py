"""The commands of the collection loop after issuing: ingest, receipts, accept, status, export."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xlsxform.cli.common import (
    OK,
    PROBLEMS,
    Say,
    _chosen,
    _err,
    _output,
    _positive,
    _print_json,
    _readable,
    _say,
    _spec,
    add_collected_db,
    add_collected_year,
    add_table_format,
)
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


def _existing_db(path: Path, *, write: bool = True) -> Any:
    from xlsxform.collection.store import Store
    from xlsxform.errors import StoreError

    if not path.is_file():
        raise StoreError("数据库不存在（请先用 ingest 收取表格）", "no such database (run ingest first)", path=path)
    return Store(path, write=write)


def _ingest_args(commands: Any, t: Say) -> None:
    ingest = commands.add_parser(
        "ingest", help=t("收取各部门返回的表格、邮件和邮箱，校验后存入数据库", "take in returned workbooks, e-mails and mailboxes, check them and store them")
    )
    ingest.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar=t("收件", "INBOX"),
        help=t("表格 .xlsx/.xls、邮件 .eml、邮箱 mbox，或存放它们的文件夹", "workbooks (.xlsx, .xls), e-mails (.eml), mailboxes (mbox), or folders of them"),
    )
    ingest.add_argument(
        "--db", required=True, type=Path, metavar=t("数据库", "DB"), help=t("数据库文件（SQLite，不存在则新建）", "database file (SQLite; created if missing)")
    )
    ingest.add_argument(
        "--roster",
        type=Path,
        metavar=t("名单", "ROSTER"),
        help=t("部门名单：对照名单给出各部门的返回情况", "roster: report each department's status against it"),
    )
    ingest.add_argument(
        "--report",
        type=Path,
        metavar=t("文件", "FILE"),
        help=t("返回情况表 .xlsx（附各有错部门的退回修改表）", "status workbook .xlsx (with a marked workbook per department with errors)"),
    )
    ingest.add_argument(
        "--jobs", type=_positive, metavar=t("进程数", "N"), help=t("并行读取的进程数（默认为 CPU 核数）", "reading processes (default: one per core)")
    )


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
    spec = _spec(args)
    year = year if year is not None else default_year(store, spec.form.id)
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


def _status_args(commands: Any, t: Say) -> None:
    status = commands.add_parser(
        "status", help=t("对照名单列出各部门：未返回、有错误、已通过", "each department of the roster: missing, with errors, or valid")
    )
    add_collected_db(status, t)
    status.add_argument(
        "--roster",
        type=Path,
        metavar=t("名单", "ROSTER"),
        help=t("部门名单（不给则只列出已返回的部门）", "roster (without it only departments that returned a form are listed)"),
    )
    status.add_argument("--report", type=Path, metavar=t("文件", "FILE"), help=t("另存为返回情况表 .xlsx", "also write the status workbook .xlsx"))
    add_collected_year(status, t)
    add_table_format(status, t)


def _status(args: argparse.Namespace) -> int:
    from xlsxform.collection.roster import read_roster

    roster = read_roster(_readable(args.roster, RosterError)) if args.roster else None
    if args.report is not None:
        _output(args.report)
    if args.format == "json":
        from xlsxform.collection.status import default_year, department_status

        with _existing_db(args.db, write=args.report is not None) as store:
            form = _spec(args).form.id
            year = args.year if args.year is not None else default_year(store, form)
            rows = department_status(store, roster, year, form)
            if args.report is not None:
                from xlsxform.collection.status import write_report

                write_report(store, rows, args.report, lang=args.lang)
        _print_json([row.as_json() for row in rows])
    else:
        with _existing_db(args.db, write=args.report is not None) as store:
            rows = _status_lines(args, store, roster, args.year, args.report, full=True)
    return OK if all(r.state == "valid" for r in rows) else PROBLEMS


def _receipts_args(commands: Any, t: Say) -> None:
    receipts = commands.add_parser(
        "receipts",
        help=t(
            "列出收到的每一件：文件、邮件、附件、压缩包内文件，及其结果（已入库、重复、拒收、待确认）",
            "list every receipt: files, e-mails, attachments, archive members, with their outcome",
        ),
    )
    add_collected_db(receipts, t)
    add_table_format(receipts, t)
    receipts.add_argument(
        "--outcome",
        choices=("stored", "duplicate", "refused", "held", "opened"),
        help=t("只列出这种结果：stored 已入库、duplicate 重复、refused 拒收、held 待确认、opened 已拆开", "only this outcome"),
    )


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


def _accept_args(commands: Any, t: Say) -> None:
    accept = commands.add_parser(
        "accept",
        help=t(
            "采用某一件收到的表格作为该部门的当前版本（包括待确认的）",
            "make one received return its department's current one (a held one included)",
        ),
    )
    accept.add_argument("receipt", type=int, metavar=t("收件编号", "RECEIPT"), help=t("receipts 列出的收件编号", "the receipt number receipts lists"))
    add_collected_db(accept, t)


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


def _export_args(commands: Any, t: Say) -> None:
    export = commands.add_parser(
        "export",
        help=t(
            "导出汇总表：各部门主要数据及全市合计、全部重点任务、全部绩效指标", "export the roll-up: key figures and city totals, all key tasks, all indicators"
        ),
    )
    add_collected_db(export, t)
    export.add_argument(
        "-o",
        "--output",
        required=True,
        action="append",
        type=Path,
        metavar=t("文件", "FILE"),
        help=t("输出文件 .xlsx、.csv 或 .json，可重复", "output .xlsx, .csv or .json; repeatable"),
    )
    add_collected_year(export, t)
    export.add_argument(
        "--roster",
        type=Path,
        metavar=t("名单", "ROSTER"),
        help=t("部门名单：每个部门一行，按名单顺序（未返回的也列出）", "roster: a row per department in roster order, those not returned too"),
    )
    export.add_argument(
        "--include-errors",
        action="store_true",
        help=t("合计中也计入有错误的表格（默认只计已通过的）", "count returns with errors in the totals too (default: valid returns only)"),
    )


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
