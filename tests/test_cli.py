"""The xlsxform command: what a finance officer types and sees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from xlsxform import Form, read
from xlsxform.cli.main import main

from .conftest import SAMPLE_JSON
from .helpers import fill, rendered


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_template_writes_a_blank_form_for_the_year(tmp_path: Path, capsys) -> None:
    """`template` writes the year's blank form, with the department and amounts asked for."""
    target = tmp_path / "blank.xlsx"
    code, out, _ = run(
        capsys,
        "template",
        "-o",
        str(target),
        "--year",
        "2023",
        "--department",
        "湛江市信访局",
        "--amount",
        "基本支出=776.8",
        "--amount",
        "fiscal=1,133.49 万元",
        "--key-tasks",
        "6",
    )
    assert code == 0 and str(target) in out
    sheet = openpyxl.load_workbook(target).active
    assert (sheet["A1"].value, sheet["B2"].value, sheet["C5"].value, sheet["E5"].value) == ("2023年市级部门整体预算绩效目标表", "湛江市信访局", 776.8, 1133.49)
    assert sheet["B20"].value == "合计"


def test_template_year_defaults_to_next_year(tmp_path: Path, capsys) -> None:
    """Budgets are prepared a year ahead, so the default year is next year."""
    import datetime as dt

    run(capsys, "template", "-o", str(tmp_path / "b.xlsx"))
    assert read(tmp_path / "b.xlsx").form.year == dt.date.today().year + 1


@pytest.mark.parametrize(
    "argv",
    [
        ["template", "-o", "{tmp}/b.xlsx", "--amount", "工资=1"],
        ["template", "-o", "{tmp}/b.xlsx", "--amount", "基本支出=很多"],
        ["template", "-o", "{tmp}/b.xlsx", "--key-tasks", "0"],
        ["template", "-o", "{tmp}/no/such/dir/b.xlsx"],
        ["template", "-o", "{tmp}/b.txt"],
        ["template"],
        ["frobnicate"],
        ["read", "{tmp}/missing.xlsx"],
        ["read", "{tmp}/garbage.xlsx"],
        ["check", "{tmp}/garbage.xlsx"],
        ["render", "{tmp}/garbage.xlsx", "-o", "{tmp}/x.xlsx"],
        ["render", "{tmp}/missing.json", "-o", "{tmp}/x.xlsx"],
        ["--spec", "{tmp}/missing.toml", "template", "-o", "{tmp}/b.xlsx"],
        ["--spec", "{tmp}/invalid.toml", "template", "-o", "{tmp}/b.xlsx"],
        ["--lang", "en", "--spec", "{tmp}/invalid.toml", "forms"],
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path, capsys, argv: list[str]) -> None:
    """Wrong usage, unreadable files and a spec with several faults give one line on stderr, exit 2, no traceback."""
    (tmp_path / "garbage.xlsx").write_bytes(b"\x00garbage")
    (tmp_path / "invalid.toml").write_text('[form]\nid = "X"\n', encoding="utf-8")
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_render_and_read_round_trip_the_json(tmp_path: Path, capsys) -> None:
    """`render` then `read` gives back the same data, and the same bytes every time; stderr says which form it was."""
    target = tmp_path / "filled.xlsx"
    assert run(capsys, "render", str(SAMPLE_JSON), "-o", str(target))[0] == 0
    code, out, err = run(capsys, "read", str(target))
    assert (code, err) == (0, "表格：市级部门整体预算绩效目标表（city-department-performance），工作表“绩效目标表”\n")
    assert Form.model_validate_json(out) == Form.model_validate_json(SAMPLE_JSON.read_bytes())
    assert run(capsys, "read", str(target))[1] == out


def test_read_prints_data_and_problems_apart(sample: Form, tmp_path: Path, capsys) -> None:
    """With problems, stdout still has the JSON, stderr names the form and then each cell, exit code 1."""
    path = fill(rendered(sample, tmp_path), {"C5": "七百"})
    code, out, err = run(capsys, "read", str(path))
    assert code == 1
    assert json.loads(out)["budget"]["basic"] is None
    lines = err.strip().splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["绩效目标表!C5"]


def test_check_reports_in_chinese_or_english(sample: Form, tmp_path: Path, capsys) -> None:
    """`check` lists each problem with its cell; --lang en switches the language."""
    path = fill(rendered(sample, tmp_path), {"E5": 1100})
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1 and "发现 1 个错误、0 个警告" in out and "绩效目标表!C7" in out
    code, out, _ = run(capsys, "--lang", "en", "check", str(path))
    assert code == 1 and "Found 1 error(s) and 0 warning(s)" in out


def test_check_passes_a_valid_form(sample: Form, tmp_path: Path, capsys) -> None:
    """A valid form gets exit code 0 and says so."""
    code, out, _ = run(capsys, "check", str(rendered(sample, tmp_path)))
    assert code == 0 and "校验通过" in out


def test_check_gives_json_for_programs(sample: Form, tmp_path: Path, capsys) -> None:
    """`check --format json` lists the problems as data."""
    path = fill(rendered(sample, tmp_path), {"E5": 1100, "C3": -1})
    code, out, _ = run(capsys, "check", "--format", "json", str(path))
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert {(p["cell"], p["code"], p["severity"]) for p in report["problems"]} == {
        ("绩效目标表!C3", "not-whole-number", "error"),
        ("绩效目标表!C7", "r1-budget-unbalanced", "error"),
    }


def test_schema_prints_the_json_schema(capsys) -> None:
    """`schema` prints the form's JSON Schema."""
    code, out, _ = run(capsys, "schema")
    assert code == 0 and json.loads(out)["properties"]["budget"]["$ref"] == "#/$defs/Budget"


def test_demo_writes_and_reads_the_sample(tmp_path: Path, capsys) -> None:
    """`demo` writes a blank template and the sample, and reads the sample back unchanged."""
    code, out, _ = run(capsys, "demo", str(tmp_path / "demo"))
    assert code == 0 and "与示例数据一致" in out
    assert read(tmp_path / "demo" / "sample-filled.xlsx").form == Form.model_validate_json(SAMPLE_JSON.read_bytes())
    assert read(tmp_path / "demo" / "blank-template.xlsx").form.year == 2023


def test_the_module_and_help_work_as_a_program(tmp_path: Path) -> None:
    """`python -m xlsxform --help` explains itself in Chinese."""
    run_ = subprocess.run([sys.executable, "-m", "xlsxform", "--help"], capture_output=True, text=True, check=False)
    assert run_.returncode == 0 and "生成空白模板" in run_.stdout


def test_template_can_be_protected_with_a_password(tmp_path: Path, capsys) -> None:
    """`template --password` protects the sheet with that password."""
    target = tmp_path / "locked.xlsx"
    assert run(capsys, "template", "-o", str(target), "--password", "财政局")[0] == 0
    protection = openpyxl.load_workbook(target).worksheets[0].protection
    assert protection.sheet and protection.password


def test_output_never_fails_on_a_console_that_cannot_show_a_character(sample: Form, tmp_path: Path) -> None:
    """On a GBK console a character it lacks is escaped, not a traceback; the JSON stays valid."""
    form = sample.model_copy(update={"department": "信访局\u00a0😀"})
    path = rendered(form, tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    for command in (["read", str(path)], ["check", str(path)]):
        done = subprocess.run([sys.executable, "-m", "xlsxform", *command], capture_output=True, env=env, check=False)
        assert done.returncode == 0 and b"Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-m", "xlsxform", "read", str(path)], capture_output=True, env=env, check=False)
    assert json.loads(done.stdout.decode("gbk"))["department"] == "信访局\u00a0😀"


def test_a_closed_pipe_ends_the_output_quietly(tmp_path: Path) -> None:
    """`xlsxform schema | head -1` prints no error when head stops reading."""
    done = subprocess.run(f"{sys.executable} -m xlsxform schema | head -c 10", shell=True, capture_output=True, check=False)
    assert done.stderr == b""


def test_a_command_that_only_prints_ends_with_all_its_output_and_exit_hooks_still_run(sample: Form, tmp_path: Path, capsys) -> None:
    """`read` leaves without the interpreter's teardown: stdout and stderr are whole, the exit code is
    kept; a hook registered to run at exit (coverage, a site's) gets the usual exit and runs."""
    path = rendered(sample, tmp_path)
    expected = run(capsys, "read", str(path))
    done = subprocess.run([sys.executable, "-m", "xlsxform", "read", str(path)], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == expected
    hooked = "import atexit, sys; atexit.register(print, 'bye', file=sys.stderr); from xlsxform.cli.main import entry; entry()"
    done = subprocess.run([sys.executable, "-c", hooked, "read", str(path)], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == expected[:2] and done.stderr == expected[2] + "bye\n"


def test_system_errors_are_in_chinese(tmp_path: Path, capsys) -> None:
    """A missing JSON file or a folder given as output is explained in Chinese."""
    assert run(capsys, "render", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.xlsx"))[2].strip().endswith("找不到这个文件")
    (tmp_path / "folder.xlsx").mkdir()
    assert run(capsys, "template", "-o", str(tmp_path / "folder.xlsx"))[2].strip().endswith("这是一个文件夹，不是文件")


def test_form_json_from_notepad_with_a_byte_order_mark_renders(tmp_path: Path, capsys) -> None:
    """UTF-8 with a BOM, as Windows Notepad saves it, is accepted."""
    source = tmp_path / "bom.json"
    source.write_bytes(b"\xef\xbb\xbf" + SAMPLE_JSON.read_bytes())
    assert run(capsys, "render", str(source), "-o", str(tmp_path / "x.xlsx"))[0] == 0


def test_invalid_form_json_names_the_faults_in_the_forms_words(tmp_path: Path, capsys) -> None:
    """Several faults are listed with the form's labels, in one line naming the file."""
    source = tmp_path / "bad.json"
    source.write_text(json.dumps({"year": 2023, "budget": {"basic": -1}, "key_tasks": [{"name": "甲", "funds": "很多"}]}), encoding="utf-8")
    code, _, err = run(capsys, "render", str(source), "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"{source}: ") and "“基本支出”应不小于 0" in err and "“年度重点工作任务第1项的拟投入的资金（万元）”应为数字" in err


def test_blank_row_counts_are_explained_when_out_of_range(tmp_path: Path, capsys) -> None:
    """--key-tasks 0 or 100000 is refused with the allowed range."""
    for count in ("0", "100000", "x"):
        code, _, err = run(capsys, "template", "-o", str(tmp_path / "b.xlsx"), "--key-tasks", count)
        assert code == 2 and "须为 1 到 500 之间的整数" in err


def test_a_form_with_only_warnings_passes(sample: Form, tmp_path: Path, capsys) -> None:
    """Warnings alone pass the check (exit 0) and are listed to confirm."""
    path = fill(rendered(sample, tmp_path), {"C9": 400, "E9": 400})
    code, out, _ = run(capsys, "check", str(path))
    assert code == 0 and "校验通过，但有 1 个警告" in out


def test_check_takes_several_files_and_goes_on_past_a_bad_one(sample: Form, tmp_path: Path, capsys) -> None:
    """`check *.xlsx` reports each file; an unreadable one is one line and the rest are still checked."""
    good = rendered(sample, tmp_path, "good.xlsx")
    broken = fill(rendered(sample, tmp_path, "broken.xlsx"), {"E5": 1100})
    (tmp_path / "junk.xlsx").write_bytes(b"junk")
    code, out, err = run(capsys, "check", str(good), str(tmp_path / "junk.xlsx"), str(broken))
    assert code == 2 and out.count("文件：") == 2 and "junk.xlsx" in err
    code, out, _ = run(capsys, "check", "--format", "json", str(good), str(broken))
    assert code == 1 and [r["ok"] for r in json.loads(out)] == [True, False]


@pytest.mark.parametrize("source", ["/dev/zero", "{tmp}"])
def test_render_refuses_a_device_or_a_folder_at_once(tmp_path: Path, capsys, source: str) -> None:
    """`render /dev/zero` or a folder is one line and exit 2, not a hang."""
    code, _, err = run(capsys, "render", source.format(tmp=tmp_path), "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _check_json(capsys, *argv: str) -> list[dict]:
    code, out, _ = run(capsys, "check", "--format", "json", *argv)
    assert code == 2
    return json.loads(out)


def test_lang_works_anywhere_on_the_line_and_from_the_environment(sample: Form, tmp_path: Path, capsys, monkeypatch) -> None:
    """--lang en before the command, after it, after the file, as --lang=en, or XLSXFORM_LANG=en: the report is English."""
    path = fill(rendered(sample, tmp_path), {"C5": 1})
    english = [p.message("en") for p in read(path).problems]
    for argv in (
        ["--lang", "en", "check", "--format", "json", str(path)],
        ["check", "--lang", "en", "--format", "json", str(path)],
        ["check", "--format", "json", str(path), "--lang=en"],
    ):
        code, out, _ = run(capsys, *argv)
        assert (code, [p["message"] for p in json.loads(out)["problems"]]) == (1, english)
    monkeypatch.setenv("XLSXFORM_LANG", "en")
    assert [p["message"] for p in json.loads(run(capsys, "check", "--format", "json", str(path))[1])["problems"]] == english


@pytest.mark.parametrize("argv", [["--lang", "fr", "schema"], ["schema", "--lang=fr"]])
def test_an_unknown_language_is_refused_and_named(capsys, argv: list[str]) -> None:
    """An unknown --lang is a usage error (exit 2) whose one line names the value given."""
    code, out, err = run(capsys, *argv)
    assert (code, out, len(err.strip().splitlines())) == (2, "", 1) and "“fr”" in err


def test_missing_file_folder_and_unreadable_file_are_told_apart(sample: Form, tmp_path: Path) -> None:
    """`check` names a missing file, a folder and a file it may not read each by its own code, and goes on to the next."""
    locked = rendered(sample, tmp_path, "locked.xlsx")
    locked.chmod(0)
    (tmp_path / "folder.xlsx").mkdir()
    files = [str(tmp_path / "missing.xlsx"), str(tmp_path / "folder.xlsx"), str(locked), str(rendered(sample, tmp_path))]
    # Root reads any file: drop the capabilities that let it, so the permission is enforced as for a clerk.
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    if prefix and subprocess.run(["sh", "-c", "command -v setpriv"], capture_output=True).returncode:
        pytest.skip("setpriv is needed to test permissions as root")
    done = subprocess.run([*prefix, sys.executable, "-m", "xlsxform", "check", "--format", "json", *files], capture_output=True, text=True)
    reports = json.loads(done.stdout)
    assert (done.returncode, [r.get("code") for r in reports], reports[3]["ok"]) == (2, ["not-found", "is-a-folder", "no-permission", None], True)
    assert len(set(done.stderr.strip().splitlines())) == 3


def test_an_invalid_option_value_is_named_as_invalid(tmp_path: Path, capsys) -> None:
    """An e-mail address that is not one, or a year out of range, is refused as invalid with the value, not reported as missing."""
    roster = tmp_path / "名单.csv"
    roster.write_text("部门名称,邮箱\n甲局,a@zj.gov.cn\n", encoding="utf-8")
    missing = run(capsys, "issue", str(roster), "-o", str(tmp_path / "out"), "--eml")
    invalid = run(capsys, "issue", str(roster), "-o", str(tmp_path / "out"), "--eml", "--from", "czj.zj.gov.cn")
    year = run(capsys, "template", "-o", str(tmp_path / "t.xlsx"), "--year", "225")
    assert [r[0] for r in (missing, invalid, year)] == [2, 2, 2] and missing[2] != invalid[2]
    assert "“czj.zj.gov.cn”" in invalid[2] and "“225”" in year[2] and not (tmp_path / "out").exists()


def test_forms_lists_the_built_in_forms_and_a_spec(capsys) -> None:
    """`forms --format json` lists id, name and version of each built-in form, and a --spec variant first."""
    code, out, _ = run(capsys, "forms", "--format", "json")
    assert code == 0
    assert [f["id"] for f in json.loads(out)] == ["city-department-performance", "project-performance-target", "project-self-evaluation"]
    assert set(json.loads(out)[1]) == {"id", "name", "version"}
    variant = Path(__file__).parent / "variants" / "district-department-performance.toml"
    assert json.loads(run(capsys, "--spec", str(variant), "forms", "--format", "json")[1])[0]["id"] == "district-department-performance"


def test_template_and_check_take_a_form_and_check_recognises_it(tmp_path: Path, capsys) -> None:
    """`template --form ID` writes that form; `check` without --form recognises it and says which; an unknown id is one line."""
    target = tmp_path / "evaluation.xlsx"
    assert run(capsys, "--form", "project-self-evaluation", "template", "-o", str(target), "--year", "2025")[0] == 0
    code, out, _ = run(capsys, "check", str(target), "--format", "json")
    report = json.loads(out)
    assert (code, report["form"], report["sheet"]) == (1, "project-self-evaluation", "绩效自评表")
    code, out, err = run(capsys, "--form", "nosuch", "template", "-o", str(target))
    assert code == 2 and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["read", "filled.xlsx"],
        ["--spec", "variant.toml", "check", "a.xlsx", "b.xls", "--format", "json", "--annotate", "marked.xlsx"],
        ["--form=project-self-evaluation", "template", "-o", "t.xlsx", "--year", "2025", "--key-tasks", "3"],
        ["--spec=v.toml", "--form", "project-performance-target", "render", "data.json", "-o", "out.xlsx", "--fallback-fonts"],
        ["issue", "roster.csv", "-o", "outbox", "--eml", "--from", "czj@example.cn", "--deadline", "2025-03-31"],
        ["ingest", "inbox", "--db", "forms.sqlite", "--jobs", "2"],
        ["export", "--db", "forms.sqlite", "-o", "a.xlsx", "-o", "b.csv", "--include-errors"],
        ["user", "add", "officer", "--db", "forms.sqlite"],
        ["serve", "--db", "forms.sqlite", "--port", "8001"],
        ["receipts", "--db", "forms.sqlite", "--outcome", "held"],
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_line_that_runs_one_command_parses_as_with_every_command(argv: list[str], lang: str, capsys) -> None:
    """Declaring only the command a line runs changes neither what is parsed nor that command's help."""
    from xlsxform.cli.main import _command, _parser

    command = _command(argv)
    assert command is not None
    assert _parser(lang, command).parse_args(argv) == _parser(lang).parse_args(argv)
    helps = []
    for parser in (_parser(lang, command), _parser(lang)):
        with pytest.raises(SystemExit):
            parser.parse_args([*argv[: argv.index(command) + 1], "--help"])
        helps.append(capsys.readouterr().out)
    assert helps[0] == helps[1] and command in helps[0]
