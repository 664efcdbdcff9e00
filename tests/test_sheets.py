"""Spreadsheet export and import (render.py export-figures / import) and the in-place YAML writer.

Each test works on a copy of a real report in a temp folder and reads back
what was really written: the workbook (openpyxl), the report file's text
(difflib against the original) and the report as the loader validates it.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tujie.build import PROJECT
from tujie.cli import main
from tujie.load import load_report
from tujie.sheets import COLUMNS, SHEET_TITLE
from tujie.yamledit import FileChanged, YamlDocument
from tujie.yamlio import load_yaml, parse_yaml

from conftest import DEFAULT, SAMPLE


@pytest.fixture
def report(tmp_path) -> Path:
    copy = tmp_path / "source" / DEFAULT.name
    copy.parent.mkdir()
    shutil.copy(DEFAULT, copy)
    return copy


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Path:
    """The default report's figures exported once through the CLI."""
    target = tmp_path_factory.mktemp("sheet") / "数据.xlsx"
    assert main(["export-figures", str(DEFAULT), str(target)]) == 0
    return target


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def edited(exported: Path, folder: Path, cells: dict[str, object], name: str = "改.xlsx") -> Path:
    """A copy of the exported workbook with some cells changed, as the bureau would send it back."""
    book = load_workbook(exported)
    sheet = book[SHEET_TITLE]
    for ref, value in cells.items():
        sheet[ref] = value
    target = folder / name
    book.save(target)
    return target


def row_of(exported: Path, fid: str) -> int:
    sheet = load_workbook(exported, read_only=True)[SHEET_TITLE]
    return next(n for n, row in enumerate(sheet.iter_rows(values_only=True), 1) if row[0] == fid)


def changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


# ---------------------------------------------------------------------------
# Export


def test_export_has_every_figure_with_frozen_header_and_locked_columns(exported):
    figures = load_report(DEFAULT).figures()
    book = load_workbook(exported)
    sheet = book[SHEET_TITLE]
    assert book.sheetnames[0] == SHEET_TITLE
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(header for header, _ in COLUMNS) == ("编号", "所在章节", "说明", "数值", "单位", "修饰语", "年份")
    assert [r[0] for r in rows[1:]] == list(figures)  # every figure, in document order
    gdp = next(r for r in rows if r[0] == "gdp_2019")
    assert gdp[1:] == ("钱塘新区成立以来工作回顾", "地区生产总值", 1100, "亿元", "突破", 2019)
    rd = next(r for r in rows if r[0] == "rd_ratio_review")
    assert rd[3] == 3.97 and rd[4] == "%"
    assert sheet.freeze_panes == "A2"
    assert sheet.protection.sheet
    for row in range(2, len(rows) + 1):
        assert sheet.cell(row, 1).protection.locked and sheet.cell(row, 2).protection.locked
        assert not any(sheet.cell(row, k).protection.locked for k in range(3, 8))
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDEFG"}
    assert all(8 <= w <= 48 for w in widths.values())
    assert widths["B"] > widths["D"] and widths["C"] > widths["G"]  # Chinese text columns get room


def test_export_sections_follow_the_report(tmp_path, capsys):
    target = tmp_path / "镇.xlsx"
    code, out, _ = run(capsys, "export-figures", str(SAMPLE), str(target))
    assert code == 0 and "已把" in out
    data, _ = load_yaml(SAMPLE)

    def figure_ids(value):  # every key of a `figures:` mapping below value
        if isinstance(value, dict):
            for key, child in value.items():
                if key == "figures" and isinstance(child, dict):
                    yield from child
                else:
                    yield from figure_ids(child)
        elif isinstance(value, list):
            for child in value:
                yield from figure_ids(child)

    titles = {fid: section["title"] for section in data["sections"] for fid in figure_ids(section)}
    assert len(titles) == len(load_report(SAMPLE).figures()) > 10
    rows = list(load_workbook(target)[SHEET_TITLE].iter_rows(min_row=2, values_only=True))
    assert {r[0]: r[1] for r in rows} == titles


def test_export_refuses_other_file_types(tmp_path, capsys):
    code, _, err = run(capsys, "export-figures", str(DEFAULT), str(tmp_path / "数据.pdf"))
    assert code == 1 and ".xlsx" in err and not (tmp_path / "数据.pdf").exists()


# ---------------------------------------------------------------------------
# Import: the good paths


def test_round_trip_without_edits_changes_nothing(exported, report, capsys):
    before = report.read_bytes()
    code, out, _ = run(capsys, "import", str(exported), str(report), "--yes")
    assert code == 0
    assert "没有变化" in out
    assert report.read_bytes() == before
    assert not (report.parent / ".history").exists()


def test_edited_value_is_applied_on_exactly_its_line(exported, report, tmp_path, capsys):
    before = report.read_text(encoding="utf-8")
    sheet = edited(exported, tmp_path, {f"D{row_of(exported, 'gdp_2019')}": 1120})
    code, out, _ = run(capsys, "import", str(sheet), str(report), "--yes")
    assert code == 0, out
    assert "地区生产总值（2019年）：1100亿元 → 1120亿元" in out and "共 1 处变化" in out
    after = report.read_text(encoding="utf-8")
    assert changed_lines(before, after) == [
        "-                  gdp_2019: {value: 1100, unit: 亿元, label: 地区生产总值, qualifier: 突破, year: 2019}",
        "+                  gdp_2019: {value: 1120, unit: 亿元, label: 地区生产总值, qualifier: 突破, year: 2019}",
    ]
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and comments == [line for line in after.splitlines() if line.lstrip().startswith("#")]
    assert load_report(report).figures()["gdp_2019"].value == 1120
    backups = list((report.parent / ".history").iterdir())
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == before


def test_label_qualifier_and_year_are_updated_and_cleared(exported, report, tmp_path, capsys):
    before = report.read_text(encoding="utf-8")
    gdp, platforms = row_of(exported, "gdp_2019"), row_of(exported, "industry_platforms")
    sheet = edited(exported, tmp_path, {f"F{gdp}": None, f"G{gdp}": None,  # qualifier and year emptied
                                        f"C{platforms}": "产业平台", f"G{platforms}": 2020})
    code, out, _ = run(capsys, "import", str(sheet), str(report), "--yes")
    assert code == 0, out
    figures = load_report(report).figures()
    assert figures["gdp_2019"].qualifier is None and figures["gdp_2019"].year is None
    assert figures["industry_platforms"].label == "产业平台" and figures["industry_platforms"].year == 2020
    assert changed_lines(before, report.read_text(encoding="utf-8")) == [
        "-                  gdp_2019: {value: 1100, unit: 亿元, label: 地区生产总值, qualifier: 突破, year: 2019}",
        "+                  gdp_2019: {value: 1100, unit: 亿元, label: 地区生产总值}",
        "-                  industry_platforms: {value: 6, unit: 个, label: 产业平台实体化运作}",
        "+                  industry_platforms: {value: 6, unit: 个, label: 产业平台, year: 2020}",
    ]


def test_import_asks_before_writing(exported, report, tmp_path):
    """Through the real command line: "n" (or no answer) writes nothing, "y" writes."""
    sheet = edited(exported, tmp_path, {f"D{row_of(exported, 'gdp_2019')}": 1120})
    before = report.read_bytes()
    command = [sys.executable, str(PROJECT / "render.py"), "import", str(sheet), str(report)]
    for answer in ("n\n", ""):
        done = subprocess.run(command, input=answer, capture_output=True, text=True, cwd=PROJECT)
        assert done.returncode == 1 and "要把这些改动写入" in done.stdout and "没有改动" in done.stdout
        assert report.read_bytes() == before
    done = subprocess.run(command, input="y\n", capture_output=True, text=True, cwd=PROJECT)
    assert done.returncode == 0, done.stderr
    assert "已写入" in done.stdout and "value: 1120" in report.read_text(encoding="utf-8")


def test_csv_in_gbk_and_utf8_bom(report, tmp_path, capsys):
    exported_csv = tmp_path / "数据.csv"
    assert run(capsys, "export-figures", str(report), str(exported_csv))[0] == 0
    raw = exported_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens a UTF-8 CSV correctly only with the BOM
    code, out, _ = run(capsys, "import", str(exported_csv), str(report), "--yes")
    assert code == 0 and "没有变化" in out
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    for row in rows:
        if row[0] == "gdp_2019":
            row[3] = "1120"
        if row[0] == "rd_ratio_review":
            row[2] = "研发经费支出占地区生产总值比重"
    gbk = tmp_path / "统计局.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    gbk.write_bytes(buffer.getvalue().encode("gbk"))  # what Excel on Chinese Windows saves as “CSV”
    with pytest.raises(UnicodeDecodeError):
        gbk.read_bytes().decode("utf-8")
    code, out, err = run(capsys, "import", str(gbk), str(report), "--yes")
    assert code == 0, err
    figures = load_report(report).figures()
    assert figures["gdp_2019"].value == 1120
    assert figures["rd_ratio_review"].label == "研发经费支出占地区生产总值比重"


# ---------------------------------------------------------------------------
# Import: units


def test_unit_change_is_refused_unless_confirmed(exported, report, tmp_path, capsys):
    row = row_of(exported, "gdp_2019")
    sheet = edited(exported, tmp_path, {f"E{row}": "万元"})
    before = report.read_bytes()
    code, out, err = run(capsys, "import", str(sheet), str(report), "--yes")
    assert code == 1
    assert f"第 {row} 行 gdp_2019（地区生产总值）：亿元 → 万元" in out
    assert "--allow-unit-change" in err and "没有改动" in err
    assert report.read_bytes() == before
    code, out, err = run(capsys, "import", str(sheet), str(report), "--yes", "--allow-unit-change")
    assert code == 0, err
    assert "unit: 万元" in report.read_text(encoding="utf-8")
    assert load_report(report).figures()["gdp_2019"].unit == "万元"


def test_unit_change_confirmed_interactively(exported, report, tmp_path, capsys, monkeypatch):
    sheet = edited(exported, tmp_path, {f"E{row_of(exported, 'gdp_2019')}": "万元"})
    answers = iter(["y", "y"])
    questions = []
    monkeypatch.setattr("builtins.input", lambda q="": questions.append(q) or next(answers))
    code, _, err = run(capsys, "import", str(sheet), str(report))
    assert code == 0, err
    assert "单位" in questions[0] and "写入" in questions[1]
    assert load_report(report).figures()["gdp_2019"].unit == "万元"


# ---------------------------------------------------------------------------
# Import: bad sheets. Each names sheet, row and column; nothing is written.


def _workbook(folder: Path, rows: list[list], name: str = "坏.xlsx") -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = SHEET_TITLE
    for row in rows:
        book.active.append(row)
    book.save(folder / name)
    return folder / name


HEADER = [h for h, _ in COLUMNS]
GDP = ["gdp_2019", "钱塘新区成立以来工作回顾", "地区生产总值", 1100, "亿元", "突破", 2019]
OUTPUT = ["industrial_output_2019", "钱塘新区成立以来工作回顾", "工业总产值", 2900, "亿元", "突破", 2019]

BAD_SHEETS = {
    "unknown id": ([HEADER, GDP, ["gdp_2091"] + GDP[1:]],
                   ["工作表“报告数字”", "第 3 行", "A 列（编号）", "报告里没有编号为 gdp_2091 的数字", "gdp_2019"]),
    "text in a number cell": ([HEADER, GDP, OUTPUT[:3] + ["约2900"] + OUTPUT[4:]],
                              ["第 3 行", "D 列（数值）", "应为数字", "约2900", "修饰语"]),
    "number with a unit": ([HEADER, GDP[:3] + ["1100亿元"] + GDP[4:]], ["第 2 行", "D 列（数值）", "单位"]),
    "thousands separator": ([HEADER, OUTPUT[:3] + ["2,900"] + OUTPUT[4:]], ["第 2 行", "D 列（数值）", "千位分隔符"]),
    "empty number": ([HEADER, GDP[:3] + [None] + GDP[4:]], ["第 2 行", "D 列（数值）", "数值不能空着"]),
    "text in the year": ([HEADER, GDP[:6] + ["2019年"]], ["第 2 行", "G 列（年份）", "年份应为四位数字"]),
    "duplicate id": ([HEADER, GDP, OUTPUT, GDP], ["第 4 行", "A 列（编号）", "编号 gdp_2019 重复（第一次出现在第 2 行）"]),
    "missing header": ([[h for h in HEADER if h != "数值"], GDP[:3] + GDP[4:]],
                       ["工作表“报告数字”", "第 1 行", "表头缺少“数值”列"]),
    "no header at all": ([GDP, OUTPUT], ["第 1 行", "表头缺少“编号”“数值”列"]),
    "header only": ([HEADER], ["第 1 行", "只有表头"]),
    "row without id": ([HEADER, [None] + GDP[1:]], ["第 2 行", "A 列（编号）", "没有编号"]),
    "empty label": ([HEADER, GDP[:2] + [""] + GDP[3:]], ["第 2 行", "C 列（说明）", "说明不能空着"]),
    "line break in a label": ([HEADER, GDP[:2] + ["地区生产\n总值"] + GDP[3:]], ["第 2 行", "C 列（说明）", "换行"]),
    "boolean number": ([HEADER, GDP[:3] + [True] + GDP[4:]], ["第 2 行", "D 列（数值）", "TRUE"]),
    # passes the sheet checks, fails the report's: the loader's located message, with the sheet row added
    "negative value": ([HEADER, GDP[:3] + [-5] + GDP[4:]],
                       ["数值 -5 不能小于 0", "figures.gdp_2019.value", "第 49 行", "来自表格 工作表“报告数字” 第 2 行"]),
    "share over 100%": ([HEADER, ["rd_ratio_review", "", "研发经费支出占GDP比重", 397, "%", "达到", None]],
                        ["超过了上限 100", "来自表格"]),
}


@pytest.mark.parametrize("case", list(BAD_SHEETS))
def test_bad_sheet_is_refused_with_its_place(case, report, tmp_path, capsys):
    rows, expected = BAD_SHEETS[case]
    sheet = _workbook(tmp_path, rows)
    before = report.read_bytes()
    code, out, err = run(capsys, "import", str(sheet), str(report), "--yes")
    assert code == 1
    assert "没有导入" in err
    for part in expected:
        assert part in err, (part, err)
    assert "Traceback" not in err + out
    assert report.read_bytes() == before
    assert not (report.parent / ".history").exists()


def test_several_bad_cells_are_reported_together(report, tmp_path, capsys):
    sheet = _workbook(tmp_path, [HEADER, GDP[:3] + ["abc"] + GDP[4:], ["nope"] + GDP[1:], OUTPUT[:6] + ["x"]])
    code, _, err = run(capsys, "import", str(sheet), str(report), "--yes")
    assert code == 1 and "发现 3 处问题" in err
    assert err.index("第 2 行") < err.index("第 3 行") < err.index("第 4 行")


BAD_FILES = {
    "empty.csv": (b"", "文件是空的"),
    "blank.csv": (b"\r\n ,,\r\n", "表格是空的"),
    "report.pdf": (b"%PDF-1.7\n", "只能导入 Excel 工作簿（.xlsx）或 CSV 文件（.csv）"),
    "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "旧版 Excel（.xls）"),
    "fake.xlsx": ("编号,数值\ngdp_2019,1120\n".encode(), "不是有效的 Excel 工作簿"),
    "broken.xlsx": (b"PK\x03\x04" + bytes(200), "不是有效的 Excel 工作簿"),
    "missing.xlsx": (None, "文件不存在"),
    "swapped.yaml": (b"report: {}\n", "先写表格，再写报告数据文件"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_wrong_or_empty_file_is_refused(name, report, tmp_path, capsys):
    content, expected = BAD_FILES[name]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = report.read_bytes()
    code, _, err = run(capsys, "import", str(path), str(report), "--yes")
    assert code == 1 and expected in err, err
    assert str(path) in err
    assert report.read_bytes() == before


def test_a_csv_renamed_xlsx_the_other_way(exported, report, tmp_path, capsys):
    wrong = tmp_path / "数据.csv"
    shutil.copy(exported, wrong)
    code, _, err = run(capsys, "import", str(wrong), str(report), "--yes")
    assert code == 1 and "扩展名却是 .csv" in err


def test_extra_columns_are_ignored_and_missing_ones_kept(report, tmp_path, capsys):
    sheet = _workbook(tmp_path, [["编号", "数值", "备注"], ["gdp_2019", 1120, "统计局更正"]])
    code, out, err = run(capsys, "import", str(sheet), str(report), "--yes")
    assert code == 0, err
    assert "不认识的列 “备注”（C 列） 已忽略" in out and "保持不变" in out
    gdp = load_report(report).figures()["gdp_2019"]
    assert (gdp.value, gdp.unit, gdp.qualifier, gdp.year) == (1120, "亿元", "突破", 2019)


# ---------------------------------------------------------------------------
# The in-place YAML writer


@pytest.mark.parametrize("source", [DEFAULT, SAMPLE], ids=["default", "sample"])
def test_unchanged_report_round_trips_byte_identically(source, tmp_path):
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    doc = YamlDocument.read(copy)
    assert doc.updated({}) == doc.text
    assert doc.write(doc.updated({})).read_bytes() == source.read_bytes()
    assert copy.read_bytes() == source.read_bytes()


def test_generic_paths_change_only_their_lines(report):
    doc = YamlDocument.read(report)
    before = doc.text
    after = doc.updated({
        ("report", "revision", "label"): "r2",
        ("report", "revision", "date"): dt.date(2026, 12, 15),
        ("report", "revision", "note"): "据区统计局更正: 2019年地区生产总值 # 1120亿元",  # needs quotes
        ("sections", 0, "kicker"): None,  # an optional field removed
        ("page", "size"): "B5",
    })
    assert changed_lines(before, after) == [
        "-    label: r1",
        "-    date: 2026-11-29",
        "-    note: 据《图解政府（筹）工作报告》原文完整录入",
        "+    label: r2",
        "+    date: 2026-12-15",
        '+    note: "据区统计局更正: 2019年地区生产总值 # 1120亿元"',
        "-  size: A4",
        "+  size: B5",
        "-    kicker: 区域地位、产业基础、城市建设、社会民生、改革开放",
    ]
    doc.write(after)
    loaded = load_report(report)
    assert loaded.report.revision.note == "据区统计局更正: 2019年地区生产总值 # 1120亿元"
    assert loaded.sections[0].kicker is None and loaded.page.size == "B5"


def test_block_mappings_crlf_and_bom_are_kept(tmp_path):
    text = ("\ufeff# 说明\r\nfigures:\r\n  a:\r\n    value: 1   # 注释\r\n    label: 甲\r\n"
            "  b: {value: 2, label: '乙'}\r\nlist:\r\n  - k: v\r\n    m: w\r\n")
    path = tmp_path / "x.yaml"
    path.write_bytes(text.encode("utf-8"))
    doc = YamlDocument.read(path)
    new = doc.updated(doc.figure_edits({"a": {"value": 1.5, "year": 2024}, "b": {"label": "丙"}})
                      | {("list", 0, "k"): None})
    doc.write(new)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.decode("utf-8") == ("\ufeff# 说明\r\nfigures:\r\n  a:\r\n    value: 1.5   # 注释\r\n    label: 甲\r\n"
                                   "    year: 2024\r\n  b: {value: 2, label: '丙'}\r\nlist:\r\n  - m: w\r\n")


def test_write_refuses_when_the_file_changed_on_disk(report):
    doc = YamlDocument.read(report)
    new = doc.updated(doc.figure_edits({"gdp_2019": {"value": 1120}}))
    someone_else = report.read_text(encoding="utf-8").replace("label: r1", "label: r9")
    report.write_text(someone_else, encoding="utf-8")
    with pytest.raises(FileChanged) as caught:
        doc.write(new)
    assert "被修改过" in str(caught.value) and str(report) in str(caught.value)
    assert report.read_text(encoding="utf-8") == someone_else  # the other edit survives
    assert not (report.parent / ".history").exists()
    assert [p.name for p in report.parent.iterdir()] == [report.name]  # no temporary file left behind


def test_values_that_need_quotes_read_back_as_text(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: {b: 1, c: x}\nd: y\n", encoding="utf-8")
    doc = YamlDocument.read(path)
    tricky = ["yes", "2021", "1e3", "- 列表", "a, b", "{x}", "# 注", "k: v", "'引号'", '"双"', "", " 空格", "null", "@x"]
    for value in tricky:
        for where in (("a", "c"), ("d",)):
            got, _ = parse_yaml(doc.updated({where: value}), "x")
            assert (got["a"]["c"] if where == ("a", "c") else got["d"]) == value, (where, value)


def test_tab_separated_utf16_as_excel_saves_unicode_text(report, tmp_path, capsys):
    sheet = tmp_path / "统计局.csv"
    sheet.write_bytes("编号\t数值\r\ngdp_2019\t1120\r\n".encode("utf-16"))  # with its BOM
    code, _, err = run(capsys, "import", str(sheet), str(report), "--yes")
    assert code == 0, err
    assert load_report(report).figures()["gdp_2019"].value == 1120


def test_library_calls_for_the_editor(exported, report):
    """The editor imports an upload: bytes → sheet → plan (against its own copy of the file) → write."""
    from tujie.sheets import apply_import, plan_import, sheet_from_bytes

    doc = YamlDocument.read(report)
    sheet = sheet_from_bytes(edited(exported, report.parent.parent, {f"D{row_of(exported, 'gdp_2019')}": 1120})
                             .read_bytes(), "数据.xlsx")
    plan = plan_import(sheet, report, doc)
    assert [c.describe() for c in plan.changes] == ["地区生产总值（2019年）：1100亿元 → 1120亿元（钱塘新区成立以来工作回顾）"]
    assert plan.changed_lines == 1 and not plan.unit_changes
    report.write_text(report.read_text(encoding="utf-8") + "# 另一个窗口加的注释\n", encoding="utf-8")
    with pytest.raises(FileChanged):
        apply_import(plan)
    assert "value: 1100," in report.read_text(encoding="utf-8")
