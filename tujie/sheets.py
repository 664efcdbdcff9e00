"""The report's figures as a spreadsheet, out and back in.

The statistics bureau checks and corrects figures in Excel, not in YAML.

Export (``render.py export-figures 报告.yaml 数据.xlsx``): in, a report
file; out, a workbook with one row per figure — 编号, 所在章节, 说明, 数值,
单位, 修饰语, 年份 — with the header row frozen and the id and section
columns locked (sheet protection on, the other cells open), or the same
columns as a CSV file.

Import (``render.py import 数据.xlsx|.csv 报告.yaml``): in, such a sheet
(xlsx, or CSV in UTF-8 with or without BOM, or GBK as Excel on Chinese
Windows saves it) and the report file; out, the figures updated by id
(value, unit, qualifier, label, year), written with :mod:`tujie.yamledit`
so only the changed lines differ. The steps are separate library calls so
the browser editor can reuse them:

* :func:`read_sheet` (or :func:`sheet_from_bytes` for an upload) — the sheet's rows, or located Chinese errors (sheet,
  row, column) for a missing header, text in a number cell, a duplicate id,
  an empty or unreadable file;
* :func:`plan_import` — the edits, the updated text validated by the
  report loader, and the list of changes from :mod:`tujie.diff`; unknown ids
  and an invalid result are errors, changed units are listed for confirming;
* :func:`apply_import` — the write (atomic, with a backup, refused if the
  report changed on disk meanwhile).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
import math
import os
import re
import sys
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import diff
from .errors import ReportError, ReportErrors
from .load import load_report
from .model import Figure, Report, fmt_number
from .yamledit import YamlDocument
from .yamlio import dotted

SHEET_TITLE = "报告数字"
HELP_TITLE = "填写说明"
# (header, field of Figure or a column of its own); the order of the exported columns
COLUMNS = (("编号", "id"), ("所在章节", "section"), ("说明", "label"), ("数值", "value"),
           ("单位", "unit"), ("修饰语", "qualifier"), ("年份", "year"))
HEADERS = {header: name for header, name in COLUMNS}
NAMES = {name: header for header, name in COLUMNS}
LOCKED = ("id", "section")  # what the sheet says where a figure is; changing it means nothing
REQUIRED = ("id", "value")
UPDATED = ("label", "value", "unit", "qualifier", "year")  # what an import may change

MAX_BYTES = 10 * 1024 * 1024  # a sheet of a few hundred figures is ~20 KB
MAX_ROWS = 5000
MAX_ERRORS = 20

HELP_LINES = (
    "这份表格列出报告里的每一个数字，供核对和更正。",
    "可以修改：说明、数值、单位、修饰语、年份。",
    "“编号”和“所在章节”已锁定：编号是数字在报告里的名字，不要改动，也不要增删行。",
    "数值只写数字（如 1120、3.97），不要写单位、千位分隔符或“约”“超过”等字样；这些说法写在“修饰语”里。",
    "单位一般不要改：改了单位，数字的含义就变了，导入时会要求再次确认。",
    "修饰语、年份可以留空。",
    "改好后保存为 .xlsx（或“CSV UTF-8”），交回后用 render.py import 导入。",
)


# ---------------------------------------------------------------------------
# Errors located in a sheet


@dataclass
class SheetError(ReportError):
    """A problem in a spreadsheet: file, sheet, row and column (1-based) with the column's header."""

    sheet: str | None = None
    header: str | None = None

    def __str__(self) -> str:
        where = [f"文件 {self.file}"] if self.file else []
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.line:
            where.append(f"第 {self.line} 行")
        if self.column:
            where.append(f"{_letter(self.column)} 列" + (f"（{self.header}）" if self.header else ""))
        return "，".join(where) + f"：{self.message}" if where else self.message


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def _collected(errors: list[ReportError]) -> ReportErrors:
    return ReportErrors(errors[:MAX_ERRORS], more=max(0, len(errors) - MAX_ERRORS))


# ---------------------------------------------------------------------------
# The figures of a report, as rows


@dataclass
class FigureRow:
    """One figure as the sheet shows it."""

    id: str
    section: str
    figure: Figure


def figure_rows(report: Report, document: YamlDocument) -> list[FigureRow]:
    """Every figure in document order, with the title of the section it is in."""
    figures = report.figures()
    rows = []
    for fid, path in document.figure_paths().items():
        section = report.sections[path[1]].title if path[:1] == ("sections",) and isinstance(path[1], int) else ""
        if fid in figures:
            rows.append(FigureRow(fid, section, figures[fid]))
    return rows


def _cells(row: FigureRow) -> list:
    fig = row.figure
    value = int(fig.value) if float(fig.value).is_integer() else fig.value
    return [row.id, row.section, fig.label, value, fig.unit, fig.qualifier or "", fig.year if fig.year else ""]


# ---------------------------------------------------------------------------
# Export


def export_figures(source: Path, target: Path) -> int:
    """Write every figure of a report to an .xlsx (or .csv) file; return how many."""
    suffix = target.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ReportError("导出的文件名应以 .xlsx（Excel 工作簿）或 .csv 结尾", file=str(target))
    document = YamlDocument.read(source)
    report = validate_text(document.text, source)
    rows = figure_rows(report, document)
    data = _xlsx(rows, report, source) if suffix == ".xlsx" else _csv(rows)
    _write_atomic(target, data)
    return len(rows)


def _csv(rows: list[FigureRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _ in COLUMNS])
    for row in rows:
        writer.writerow([fmt_number(c) if isinstance(c, float) else c for c in _cells(row)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")  # the BOM makes Excel read it as UTF-8


def _xlsx(rows: list[FigureRow], report: Report, source: Path) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append([header for header, _ in COLUMNS])
    for row in rows:
        sheet.append(_cells(row))
    last = len(rows) + 1
    header_fill, locked_fill = PatternFill("solid", fgColor="D9E2F3"), PatternFill("solid", fgColor="EDEDED")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center")
    for k, (_, name) in enumerate(COLUMNS, 1):
        for (cell,) in sheet.iter_rows(min_row=2, max_row=last, min_col=k, max_col=k):
            if name in LOCKED:
                cell.fill = locked_fill
            else:
                cell.protection = Protection(locked=False)
        values = [str(c) for c in [NAMES[name]] + [_cells(r)[k - 1] for r in rows]]
        width = max(_width(v) for v in values) + 2
        sheet.column_dimensions[_letter(k)].width = min(max(width, 8), 48)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{_letter(len(COLUMNS))}{last}"
    # Excel checks these as the cell is typed; the import checks them again
    value_col, year_col = _letter(_column("value")), _letter(_column("year"))
    number = DataValidation(type="decimal", operator="between", formula1="0", formula2="1000000000",
                            showErrorMessage=True, errorTitle="数值",
                            error="数值只写数字（不要写单位或“约”等文字），不能小于 0")
    year = DataValidation(type="whole", operator="between", formula1="1900", formula2="2100", allow_blank=True,
                          showErrorMessage=True, errorTitle="年份", error="年份写四位数字，如 2025；没有年份就留空")
    number.add(f"{value_col}2:{value_col}{last}")
    year.add(f"{year_col}2:{year_col}{last}")
    sheet.add_data_validation(number)
    sheet.add_data_validation(year)
    # locked cells stay locked; sorting, filtering and resizing stay possible (no password: it is a guard, not a lock)
    sheet.protection.sheet = True
    sheet.protection.autoFilter = False
    sheet.protection.sort = False
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False

    help_sheet = book.create_sheet(HELP_TITLE)
    info = report.report
    help_sheet.append([f"{info.district}《{info.title}》（{info.year}年）修订 {info.revision.label}，"
                       f"数据文件 {source.name}，共 {len(rows)} 个数字"])
    help_sheet["A1"].font = Font(bold=True)
    for line in HELP_LINES:
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 100
    book.properties.title = f"{info.district}{info.year}年报告数字"
    book.properties.creator = "tujie"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column(name: str) -> int:
    return next(k for k, (_, n) in enumerate(COLUMNS, 1) if n == name)


def _width(text: str) -> int:
    """Width in Excel's character units: a Chinese character is two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------
# Reading a sheet


@dataclass
class SheetRow:
    """One data row: the figure id and the fields the sheet gives for it."""

    row: int  # 1-based, as Excel numbers rows
    id: str
    fields: dict[str, object]


@dataclass
class Sheet:
    """A sheet as read: where it came from, which column holds what, its rows, and what was wrong."""

    file: str
    name: str | None  # the worksheet's name; None for CSV
    columns: dict[str, int]  # field → 1-based column
    rows: list[SheetRow]
    errors: list[ReportError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # harmless oddities worth saying

    def error(self, message: str, row: int | None = None, name: str | None = None) -> SheetError:
        column = self.columns.get(name) if name else None
        return SheetError(message, file=self.file, line=row, column=column, sheet=self.name,
                          header=NAMES.get(name) if name else None)


def read_sheet(path: Path, shown_as: str | None = None) -> Sheet:
    """Read an .xlsx or .csv sheet of figures.

    A file that cannot be a sheet of figures (wrong type, empty, no header)
    raises at once; problems in single cells are collected in ``errors`` so
    that :func:`plan_import` reports them together with unknown ids.
    """
    file = shown_as or str(path)
    return sheet_from_bytes(_read(path, file), path.name, file)


def sheet_from_bytes(raw: bytes, filename: str, shown_as: str | None = None) -> Sheet:
    """:func:`read_sheet` for bytes already in memory (an upload); ``filename``'s extension tells the type."""
    file = shown_as or filename
    suffix = Path(filename).suffix.lower()
    if len(raw) > MAX_BYTES:
        raise ReportError(f"文件太大（{len(raw) / 1024 / 1024:.1f} MB），数字表格不应超过 "
                          f"{MAX_BYTES // 1024 // 1024} MB；请检查是否选错了文件", file=file)
    if not raw.strip():
        raise ReportError("文件是空的，没有任何数据", file=file)
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReportError("这是旧版 Excel（.xls）格式，无法读取；请在 Excel 里“另存为”Excel 工作簿（.xlsx）"
                          "或“CSV UTF-8（逗号分隔）”后再导入", file=file)
    if suffix in (".xlsx", ".xlsm"):
        name, table = _xlsx_rows(raw, file)
    elif suffix == ".csv":
        if raw.startswith(b"PK\x03\x04"):
            raise ReportError("这个文件的内容是 Excel 工作簿，扩展名却是 .csv；请把扩展名改为 .xlsx", file=file)
        name, table = None, _csv_rows(raw, file)
    elif suffix == ".xls":
        raise ReportError("旧版 Excel（.xls）格式无法读取；请在 Excel 里“另存为”Excel 工作簿（.xlsx）后再导入", file=file)
    else:
        swapped = "；请注意参数的顺序：先写表格，再写报告数据文件" if suffix in (".yaml", ".yml") else ""
        raise ReportError(f"只能导入 Excel 工作簿（.xlsx）或 CSV 文件（.csv），这个文件是“{suffix or '无扩展名'}”"
                          + swapped, file=file)
    return _parse(table, file, name)


def _read(path: Path, file: str) -> bytes:
    try:
        if not path.is_file():
            raise ReportError("文件不存在，请检查文件名和路径" if not path.exists() else "这不是一个文件", file=file)
        if path.stat().st_size > MAX_BYTES:
            raise ReportError(f"文件太大（{path.stat().st_size / 1024 / 1024:.1f} MB），数字表格不应超过 "
                              f"{MAX_BYTES // 1024 // 1024} MB；请检查是否选错了文件", file=file)
        return path.read_bytes()
    except OSError as exc:
        raise ReportError(f"无法读取文件（{exc.strerror}）", file=file) from None


def _xlsx_rows(raw: bytes, file: str) -> tuple[str, list[tuple]]:
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise ReportError("文件不是有效的 Excel 工作簿（.xlsx），可能已损坏，或者其实是别的格式；"
                          "请用 Excel 打开后重新“另存为”.xlsx", file=file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it skips (extensions, styles)
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file; all mean the same to the user
        raise ReportError("无法读取这个 Excel 工作簿，可能已损坏或加了密码；请用 Excel 打开后重新“另存为”.xlsx",
                          file=file) from None
    try:
        sheet = book[SHEET_TITLE] if SHEET_TITLE in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong used range; read every cell there is
        table = []
        for values in sheet.iter_rows(values_only=True):
            table.append(values)
            if len(table) > MAX_ROWS + 1:
                raise ReportError(f"表格超过 {MAX_ROWS} 行，报告不会有这么多数字；请检查是否选错了文件",
                                  file=file)
        return sheet.title, table
    finally:
        book.close()


def _csv_rows(raw: bytes, file: str) -> list[tuple]:
    text = _decode(raw, file)
    if "\x00" in text:
        raise ReportError("文件不是文本格式的 CSV；请在 Excel 里“另存为”“CSV UTF-8（逗号分隔）”", file=file)
    first = text.lstrip("\r\n").split("\n", 1)[0]
    # the header line decides: Excel writes commas, “Unicode 文本” tabs, some locales semicolons
    delimiter = max(",\t;", key=first.count)
    table = [tuple(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    if len(table) > MAX_ROWS + 1:
        raise ReportError(f"表格超过 {MAX_ROWS} 行，报告不会有这么多数字；请检查是否选错了文件", file=file)
    return table


def _decode(raw: bytes, file: str) -> str:
    """CSV bytes → text: UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's “Unicode 文本”
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")  # a superset of GBK: what Excel on Chinese Windows writes as “CSV”
    except UnicodeDecodeError:
        raise ReportError("无法识别文件的文字编码；请在 Excel 里“另存为”“CSV UTF-8（逗号分隔）”后再导入",
                          file=file) from None


def _parse(table: list[tuple], file: str, name: str | None) -> Sheet:
    sheet = Sheet(file, name, {}, [])
    rows = [(number, cells) for number, cells in enumerate(table, 1) if any(not _blank(c) for c in cells)]
    if not rows:
        raise SheetError("表格是空的，没有任何数据", file=file, sheet=name)
    header_row, header = rows[0]
    unknown = []
    for column, cell in enumerate(header, 1):
        title = re.sub(r"[\s\u3000*＊]", "", str(cell)) if cell is not None else ""
        if title in HEADERS:
            if HEADERS[title] in sheet.columns:
                raise SheetError(f"表头里有两列“{title}”（另一列在 {_letter(sheet.columns[HEADERS[title]])} 列），"
                                 f"请删掉一列", file=file, sheet=name, line=header_row, column=column)
            sheet.columns[HEADERS[title]] = column
        elif title:
            unknown.append(f"“{title}”（{_letter(column)} 列）")
    missing = [NAMES[n] for n in REQUIRED if n not in sheet.columns]
    if missing:
        expected = "、".join(h for h, _ in COLUMNS)
        raise SheetError(f"表头缺少“{'”“'.join(missing)}”列；第一行应是表头：{expected}"
                         f"（可用 render.py export-figures 导出一份作为模板）",
                         file=file, sheet=name, line=header_row)
    if unknown:
        sheet.notes.append(f"不认识的列 {'、'.join(unknown)} 已忽略")
    absent = [NAMES[n] for n in UPDATED if n not in sheet.columns]
    if absent:
        sheet.notes.append(f"表格里没有“{'”“'.join(absent)}”列，这些内容保持不变")
    if len(rows) == 1:
        raise SheetError("表格里只有表头，没有数据行", file=file, sheet=name, line=header_row)
    seen: dict[str, int] = {}
    for number, cells in rows[1:]:
        row = _row(sheet, number, cells)
        if row is None:
            continue
        if row.id in seen:
            sheet.errors.append(sheet.error(f"编号 {row.id} 重复（第一次出现在第 {seen[row.id]} 行），"
                                            f"每个数字只能有一行", number, "id"))
            continue
        seen[row.id] = number
        sheet.rows.append(row)
    return sheet


def _row(sheet: Sheet, number: int, cells: tuple) -> SheetRow | None:
    def cell(name: str):
        k = sheet.columns.get(name)
        return cells[k - 1] if k is not None and k <= len(cells) else None

    fid = _text(cell("id"))
    if not fid:
        sheet.errors.append(sheet.error("这一行没有编号；编号列不能空着，也不要在表格里新增数字", number, "id"))
        return None
    fields: dict[str, object] = {}
    for name in UPDATED:
        if name not in sheet.columns:
            continue
        try:
            fields[name] = _READERS[name](cell(name))
        except _Bad as bad:
            sheet.errors.append(sheet.error(str(bad), number, name))
    return SheetRow(number, fid, fields)


class _Bad(Exception):
    """A cell that cannot mean what its column asks for; the message says why."""


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell) -> str:
    if _blank(cell):
        return ""
    if isinstance(cell, float):
        return fmt_number(cell)
    return str(cell).strip()


_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_NUMBER_HINTS = (
    (re.compile(r"^[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"), "；不要写千位分隔符，如 1,100 写成 1100"),
    (re.compile(r"^(约|近|超过?|逾|达到?|突破|不足|不低于|以上|力争)"), "；“约”“超过”等说法写在“修饰语”列，数值只写数字"),
    (re.compile(r"[0-9.]\s*[^0-9.\s]+$"), "；单位写在“单位”列，数值只写数字"),
    (re.compile(r"^[-+]?[0-9.]+[eE][-+]?[0-9]+$"), "；不要用科学计数法，请写成普通数字"),
)


def _shown(cell) -> str:
    text = str(cell)
    return text if len(text) <= 30 else text[:30] + "…"


def _number(cell) -> int | float:
    if _blank(cell):
        raise _Bad("数值不能空着")
    if isinstance(cell, bool):
        raise _Bad(f"应为数字，现在是“{'TRUE' if cell else 'FALSE'}”")
    if isinstance(cell, (dt.date, dt.time, dt.timedelta)):
        raise _Bad("应为数字，现在是日期或时间（单元格格式可能被设成了日期，请改为“常规”或“数值”）")
    if isinstance(cell, (int, float)):
        if isinstance(cell, float) and not math.isfinite(cell):
            raise _Bad("应为数字，现在不是一个具体的数")
        return int(cell) if float(cell).is_integer() else float(cell)
    text = unicodedata.normalize("NFKC", str(cell)).strip()  # full-width digits are still digits
    if _DECIMAL.match(text):
        value = float(text)
        return int(value) if value.is_integer() else value
    hint = next((h for pattern, h in _NUMBER_HINTS if pattern.search(text)), "")
    raise _Bad(f"应为数字（不要写单位或“约”等文字），现在是“{_shown(cell)}”{hint}")


def _year(cell) -> int | None:
    if _blank(cell):
        return None
    try:
        value = _number(cell)
    except _Bad:
        raise _Bad(f"年份应为四位数字（如 2025），没有年份就留空；现在是“{_shown(cell)}”") from None
    if not float(value).is_integer():
        raise _Bad(f"年份应为整数，现在是“{_shown(cell)}”")
    return int(value)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _words(cell) -> str:
    text = _text(cell)
    if _CONTROL.search(text):
        raise _Bad("文字里有换行（Alt+回车）或看不见的控制字符，请删掉")
    return text


def _label(cell) -> str:
    text = _words(cell)
    if not text:
        raise _Bad("说明不能空着")
    return text


_READERS = {
    "label": _label,
    "value": _number,
    "unit": _words,
    "qualifier": lambda cell: _words(cell) or None,
    "year": _year,
}


# ---------------------------------------------------------------------------
# Planning and applying an import


@dataclass
class UnitChange:
    row: int
    id: str
    label: str
    old: str
    new: str

    def describe(self) -> str:
        return f"第 {self.row} 行 {self.id}（{self.label}）：{self.old or '（无单位）'} → {self.new or '（无单位）'}"


@dataclass
class ImportPlan:
    """What an import would do: the new text (validated), the changes it makes, the units it changes."""

    source: Path
    sheet: Sheet
    document: YamlDocument
    text: str  # the report file after the import
    old: Report
    new: Report
    changes: list  # tujie.diff.Change, in document order
    unit_changes: list[UnitChange]

    @property
    def changed_lines(self) -> int:
        """How many lines of the file differ (old and new counted once per changed line pair)."""
        matcher = difflib.SequenceMatcher(None, self.document.text.splitlines(), self.text.splitlines(),
                                          autojunk=False)
        return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


def plan_import(sheet: Sheet, source: Path, document: YamlDocument | None = None) -> ImportPlan:
    """Match the sheet's rows to the report's figures and work out the updated file.

    ``document`` is the report as read earlier (the editor's copy, whose
    hash guards the write); by default the file is read now. Raises
    ReportErrors listing every bad cell and unknown id, or the loader's
    located message when the updated report would not validate. Nothing is
    written.
    """
    document = document or YamlDocument.read(source)
    old = validate_text(document.text, source)
    figures = old.figures()
    paths = document.figure_paths()
    errors = list(sheet.errors)
    updates: dict[str, dict[str, object]] = {}
    units: list[UnitChange] = []
    rows_by_id: dict[str, int] = {}
    for row in sheet.rows:
        figure = figures.get(row.id)
        if figure is None or row.id not in paths:
            guess = difflib.get_close_matches(row.id, list(figures), n=1)
            hint = f"，是不是“{guess[0]}”？" if guess else "；编号要与导出的表格一致，表格里不能新增数字"
            errors.append(sheet.error(f"报告里没有编号为 {row.id} 的数字{hint}", row.row, "id"))
            continue
        rows_by_id[row.id] = row.row
        changed = _figure_update(figure, row.fields)
        if changed:
            updates[row.id] = changed
        if "unit" in changed:
            units.append(UnitChange(row.row, row.id, figure.label, figure.unit, row.fields["unit"]))
    if errors:
        errors.sort(key=lambda e: (e.line or 0, e.column or 0))
        raise _collected(errors)
    text = document.updated(document.figure_edits(updates))
    try:
        new = validate_text(text, source) if text != document.text else old
    except ReportError as exc:
        raise _after_import(exc, sheet, paths, rows_by_id) from None
    return ImportPlan(source, sheet, document, text, old, new, diff.compare(old, new), units)


def _figure_update(figure: Figure, fields: dict[str, object]) -> dict[str, object]:
    """The fields whose sheet value differs from the figure's; None removes an optional field."""
    changed: dict[str, object] = {}
    for name, value in fields.items():
        current = getattr(figure, name)
        if name == "value":
            if float(value) != float(current):
                changed[name] = value
        elif name == "unit":
            if value != current:
                changed[name] = value or None  # no unit: drop the key, the schema's default is ""
        elif value != current:
            changed[name] = value
    return changed


def _after_import(exc: ReportError, sheet: Sheet, paths: dict[str, tuple], rows: dict[str, int]) -> ReportError:
    """The loader's message about the updated report, also naming the sheet row the bad value came from."""
    prefixes = [(dotted(path), fid) for fid, path in paths.items() if fid in rows]
    where = f"工作表“{sheet.name}”" if sheet.name else sheet.file
    for error in getattr(exc, "errors", None) or [exc]:
        for prefix, fid in prefixes:
            if error.field and (error.field == prefix or error.field.startswith(prefix + ".")):
                error.message += f"（来自表格 {where} 第 {rows[fid]} 行，编号 {fid}）"
                break
    if isinstance(exc, ReportErrors) and exc.errors:  # the summary line repeats the first message
        exc.message = exc.errors[0].message
    return exc


def apply_import(plan: ImportPlan) -> Path:
    """Write the planned text; return the backup of the previous file. Raises FileChanged on a conflict."""
    return plan.document.write(plan.text)


def validate_text(text: str, source: Path) -> Report:
    """Validate report text as if it were the file ``source`` (errors name that file).

    The text is checked from a hidden file beside the source so that
    anything the schema resolves relative to the report's folder still works.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{source.name}.", suffix=".check.tmp", dir=source.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        try:
            return load_report(Path(tmp))
        except ReportError as exc:
            for error in getattr(exc, "errors", []) + [exc]:
                if error.file == tmp:
                    error.file = str(source)
            raise
    finally:
        Path(tmp).unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# The commands: render.py export-figures, render.py import


def export_arguments(parser) -> None:
    parser.add_argument("source", metavar="报告.yaml", help="报告数据文件")
    parser.add_argument("target", metavar="数据.xlsx", help="导出的表格（.xlsx，或 .csv）")


def run_export(args) -> int:
    source, target = Path(args.source), Path(args.target)
    try:
        count = export_figures(source, target)
    except ReportError as exc:
        print(f"✗ 没有导出：\n{exc}", file=sys.stderr)
        return 1
    print(f"✓ 已把 {source} 的 {count} 个数字导出到 {target}")
    if target.suffix.lower() == ".xlsx":
        print("  “编号”“所在章节”两列已锁定；请只改说明、数值、单位、修饰语、年份，不要增删行。")
    print(f"  改好后导入：render.py import {target} {source}")
    return 0


def import_arguments(parser) -> None:
    parser.add_argument("sheet", metavar="数据.xlsx", help="统计局返回的表格（.xlsx 或 .csv）")
    parser.add_argument("source", metavar="报告.yaml", help="要更新的报告数据文件")
    parser.add_argument("-y", "--yes", action="store_true", help="不询问，直接写入（单位有变化时仍需 --allow-unit-change）")
    parser.add_argument("--allow-unit-change", action="store_true",
                        help="允许表格改动数字的单位（默认单位不同时要求确认，不确认就不导入）")


def run_import(args, ask=None) -> int:
    """Show what the sheet changes, confirm, write; exit 0 when written or nothing to do, 1 otherwise."""
    ask = ask or input
    sheet_path, source = Path(args.sheet), Path(args.source)
    try:
        sheet = read_sheet(sheet_path)
        plan = plan_import(sheet, source)
    except ReportError as exc:
        print(f"✗ 没有导入，报告文件没有改动：\n{exc}", file=sys.stderr)
        return 1
    where = f"（工作表“{sheet.name}”）" if sheet.name else ""
    print(f"读取表格 {sheet_path}{where}：{len(sheet.rows)} 个数字")
    for note in sheet.notes:
        print(f"  注意：{note}")
    if not plan.changes:
        print("没有变化，报告文件没有改动。")
        return 0
    print(f"导入后 {source} 的变化：")
    pages = _place_pages(plan)
    if pages:
        print(pages)
    for number, change in enumerate(plan.changes, 1):
        print(f"{number:>3}. {change.describe()}")
    print(diff.summary(plan.changes) + f"；文件里改动 {plan.changed_lines} 行，其余内容和注释保持不变")
    if plan.unit_changes and not args.allow_unit_change:
        print(f"\n注意：下面 {len(plan.unit_changes)} 个数字的单位与报告里的不同。单位变了，数字的含义也就变了：")
        for unit in plan.unit_changes:
            print(f"  {unit.describe()}")
        if args.yes or not _confirm(ask, "确实要修改这些单位吗？（y/N）"):
            print("✗ 没有导入，报告文件没有改动：单位有变化而没有确认。请核对单位；确实要改时，"
                  "加上 --allow-unit-change 再运行（或在询问时输入 y）。", file=sys.stderr)
            return 1
    if not args.yes and not _confirm(ask, f"要把这些改动写入 {source} 吗？（y/N）"):
        print("已取消，报告文件没有改动。")
        return 1
    try:
        backup = apply_import(plan)
    except ReportError as exc:
        print(f"✗ 没有写入：\n{exc}", file=sys.stderr)
        return 1
    print(f"✓ 已写入 {source}；原文件备份在 {backup}")
    print(f"  下一步：运行 make（或 render.py {source}）重新生成小册子。")
    return 0


def _confirm(ask, question: str) -> bool:
    try:
        answer = ask(question + " ")
    except EOFError:  # no one to answer (stdin closed): the safe answer
        print()
        return False
    return answer.strip().lower() in ("y", "yes", "是", "好", "确定")


def _place_pages(plan: ImportPlan) -> str | None:
    """Mark each change with its page in the last build of the report, when there is one."""
    from .build import Paths

    pdf = diff.last_build(Paths().output, plan.source.stem)
    if pdf is None:
        return None
    try:
        diff.locate(plan.changes, diff.BuiltPdf(pdf))
    except Exception:  # page numbers are a convenience; a damaged old PDF must not stop an import
        return None
    return f"（页码依据上次生成的 {pdf.name}）"
