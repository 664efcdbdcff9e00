"""What changed between two versions of a report's data, and where it shows.

Figures get revised after a booklet has gone out: the statistics bureau
corrects a number, a heading is reworded, an item is added. Before rebuilding
and sending the booklet to print again, the editor needs a short and exact
list of what will change, and where to look in the proof.

The comparison works on validated :class:`~tujie.model.Report` models, never
on YAML text, so reordered keys, quoting style, whitespace and ``1100`` versus
``1100.0`` never count as changes:

* figures are matched by id and compared as numbers with units; label,
  qualifier, year and ceiling changes are listed with them;
* every other field is compared by its place in the model
  (``sections[review].blocks[0].themes[1].items[3].text``); sections are
  matched by id, other lists are aligned so that an inserted or removed entry
  is reported as such instead of shifting all the entries after it;
* each change is located: its section, and its page in a built PDF, found by
  searching the PDF's text (pypdfium2) for the value or wording.

``render.py diff`` prints the list; with ``--pdf`` it also builds both
versions and draws each changed page of the old build beside the new one,
with the changed values boxed, for proofreading.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import io
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel

from .build import Paths, build_report
from .errors import ReportError
from .load import load_report
from .model import ChartBlock, Figure, Report, Section, Text, figures_in, fmt_number

# ---------------------------------------------------------------------------
# Changes and how they read

FIGURE = "figure"  # a number of the report
TEXT = "text"  # wording: titles, items, metadata…
SETTING = "setting"  # icons, chart kinds, figure references, page setup

CHANGED, ADDED, REMOVED = "changed", "added", "removed"

# fields that steer the layout rather than say something
SETTING_FIELDS = {"icon", "type", "chart", "figures", "stretch", "bar", "layout", "size", "bleed_mm", "sample"}

FIELD_NAMES = {
    "title": "标题", "kicker": "副题", "text": "", "name": "名称", "intent": "说明", "keyword": "关键词",
    "icon": "图标", "alt": "说明文字", "labels": "图例", "figures": "引用的数字", "stretch": "力争值",
    "bar": "条形数字", "chart": "图表类型", "type": "版式类型", "graphic_word": "“图解”字样", "district": "地区",
    "year": "年份", "issuer": "发布单位", "subject": "主题", "keywords": "关键词", "data_note": "数据说明",
    "sample": "示例数据标记", "size": "开本", "bleed_mm": "出血（毫米）", "layout": "版式", "actions": "举措",
    "when": "时间", "source": "出处", "caption": "图注", "credit": "来源", "columns": "表格列",
    "rows": "表格行", "note": "注", "top": "显示前几名", "series": "系列", "change": "比较", "src": "图片文件",
    "width": "宽度", "milestones": "节点", "key": "列名", "compute": "计算方法", "digits": "小数位数", "unit": "单位",
    "Revision.label": "修订号", "Revision.date": "修订日期", "Revision.note": "修订说明",
}

FIGURE_FIELDS = (("label", "说明"), ("qualifier", "修饰语"), ("year", "年份"), ("max", "上限"))


@dataclass
class Change:
    """One difference between the old and the new report."""

    kind: str  # FIGURE, TEXT or SETTING
    action: str  # CHANGED, ADDED or REMOVED
    path: str  # place in the model, e.g. sections[review].blocks[0].themes[1].items[3].text
    where: str  # what it is, in Chinese: 主题“产业基础进一步夯实”第4条, or a figure's label
    old: str | None  # the old value as shown (None: added, or unchanged for figures)
    new: str | None
    sections: tuple[str | None, str | None]  # section title in the old and in the new report
    needles: tuple[list[str], list[str]]  # squashed strings that find it in the old / new build
    hints: tuple[list[str], list[str]] = ([], [])  # weaker needles (labels), tried after the needles
    details: list[str] = field(default_factory=list)  # further figure attributes that changed
    page: int | None = None  # 1-based page in the new build, when known

    @property
    def section(self) -> str | None:
        return self.sections[1] or self.sections[0]

    def describe(self) -> str:
        """One line of Chinese, e.g. 地区生产总值（2019年）：1100亿元 → 1120亿元（…，第3页）."""
        noun = "数字" if self.kind == FIGURE else ""
        if self.action == ADDED:
            body = f"新增{noun} {self.where}：{self.new}"
        elif self.action == REMOVED:
            body = f"删除{noun} {self.where}：{self.old}"
        else:
            parts = [f"{self.old} → {self.new}"] if self.old is not None else []
            body = f"{self.where}：{'；'.join(parts + self.details)}"
        place = [p for p in (self.section, f"第{self.page}页" if self.page else None) if p]
        return body + (f"（{'，'.join(place)}）" if place else "")


def summary(changes: list[Change]) -> str:
    """共 3 处变化：2 个数字，1 处文字（，1 项设置）."""
    count = {kind: sum(c.kind == kind for c in changes) for kind in (FIGURE, TEXT, SETTING)}
    line = f"共 {len(changes)} 处变化：{count[FIGURE]} 个数字，{count[TEXT]} 处文字"
    return line + (f"，{count[SETTING]} 项设置" if count[SETTING] else "")


def squash(text: str) -> str:
    """Text as compared with a PDF's: NFKC (full-width punctuation) and no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def show(value) -> str:
    """A scalar as the editor wrote it."""
    if value is None:
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return fmt_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def excerpts(old: str, new: str, limit: int = 40, context: int = 10) -> tuple[str, str]:
    """Both texts in 「」, cut down to the changed stretch when they are long."""
    if max(len(old), len(new)) <= limit:
        return f"「{old}」", f"「{new}」"
    start, old_end, new_end = _differing_span(old, new)
    cut = max(0, start - context)

    def clip(text: str, end: int) -> str:
        stop = min(len(text), end + context)
        return f"「{'…' if cut else ''}{text[cut:stop]}{'…' if stop < len(text) else ''}」"

    return clip(old, old_end), clip(new, new_end)


def _differing_span(a: str, b: str) -> tuple[int, int, int]:
    """(start, end in a, end in b) of the part where a and b differ."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    tail = 0
    while tail < min(len(a), len(b)) - start and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return start, len(a) - tail, len(b) - tail


def fragments(old: str, new: str, context: int = 6) -> tuple[str, str]:
    """Short squashed stretches around the change, to find and box it in a PDF."""
    old, new = squash(old), squash(new)
    start, old_end, new_end = _differing_span(old, new)
    cut = max(0, start - context)
    return old[cut : old_end + context], new[cut : new_end + context]


# ---------------------------------------------------------------------------
# Comparing two reports


def compare(old: Report, new: Report) -> list[Change]:
    """Every difference between two reports, in document order."""
    return _Comparison(old, new).run()


class _Comparison:
    """Walks the old and the new model side by side, collecting changes."""

    def __init__(self, old: Report, new: Report):
        self.old, self.new = old, new
        self.figures = (old.figures(), new.figures())
        self.reported: set[str] = set()
        self.sections: tuple[str | None, str | None] = (None, None)
        self.changes: list[Change] = []

    def run(self) -> list[Change]:
        self.sections = ("报告信息", "报告信息")
        self._model(self.old.report, self.new.report, "report", "报告")
        self.sections = ("页面设置", "页面设置")
        self._model(self.old.page, self.new.page, "page", "页面")
        self._field(self.old, self.new, "layout", "layout", "")
        self._section_order()
        for old, new in _pair_sections(self.old.sections, self.new.sections):
            self.sections = (old.title if old else None, new.title if new else None)
            item = new or old
            path = f"sections[{item.id}]"
            if old and new:
                self._model(old, new, path, "章节")
            else:
                self._entry(old, new, path, "章节")
        self.sections = (None, None)
        for fid in list(self.figures[0]) + list(self.figures[1]):  # none left unless the walk missed one
            self._figure(fid)
        return self.changes

    # -- models, lists and scalars

    def _model(self, old: BaseModel, new: BaseModel, path: str, where: str) -> None:
        for name in type(new).model_fields:
            if _holds_figures(getattr(new, name)) or _holds_figures(getattr(old, name)):
                # figures are compared by id, wherever they moved (figure_change)
                for fid, _ in [*figures_in(getattr(new, name)), *figures_in(getattr(old, name))]:
                    self._figure(fid)
                continue
            self._field(old, new, name, f"{path}.{name}", where)

    def _field(self, old: BaseModel, new: BaseModel, name: str, path: str, where: str) -> None:
        a, b = getattr(old, name), getattr(new, name)
        label = field_name(type(new), name)
        if isinstance(a, BaseModel) and type(a) is type(b):
            self._model(a, b, path, where)
        elif isinstance(a, list) and isinstance(b, list):
            self._list(a, b, name, path, "" if getattr(next(iter(b or a), None), "self_named", False) else where)
        elif isinstance(a, dict) and isinstance(b, dict):
            self._mapping(a, b, name, path, where + label)
        elif not _same(a, b):
            sources = (old.plain, new.plain) if name == "text" and isinstance(new, Text) else (a, b)
            self._scalar(a, b, name, path, where + label, sources)

    def _list(self, olds: list, news: list, name: str, path: str, where: str) -> None:
        for old, new, i, j in align(olds, news):
            index = j if new is not None else i
            item_path = f"{path}[{index}]"
            item_where = where + _item_label(name, index, new if new is not None else old)
            if old is None or new is None:
                self._entry(old, new, item_path, item_where, name)
            elif isinstance(new, BaseModel):
                self._model(old, new, item_path, item_where)
            elif not _same(old, new):
                self._scalar(old, new, name, item_path, item_where, (old, new))

    def _mapping(self, olds: dict, news: dict, name: str, path: str, where: str) -> None:
        for key in list(news) + [k for k in olds if k not in news]:
            a, b = olds.get(key), news.get(key)
            if not _same(a, b):
                kind = SETTING if name in SETTING_FIELDS else TEXT
                action = ADDED if a is None else REMOVED if b is None else CHANGED
                self._add(kind, action, f"{path}[{key}]", f"{where}“{key}”", show(a), show(b), ([], []))

    def _scalar(self, a, b, name: str, path: str, where: str, sources: tuple) -> None:
        kind = SETTING if name in SETTING_FIELDS else TEXT
        if isinstance(a, str) or isinstance(b, str):  # text, possibly added to or removed from an optional field
            old, new = excerpts(a or "", b or "")
            needles = fragments(sources[0] or "", sources[1] or "")
            self._add(kind, CHANGED, path, where, old if a is not None else show(a), new if b is not None else show(b),
                      ([needles[0]] if a else [], [needles[1]] if b else []))
        else:
            self._add(kind, CHANGED, path, where, show(a), show(b), (_printed(a), _printed(b)))

    def _entry(self, old, new, path: str, where: str, name: str = "") -> None:
        """An added or removed list entry, with the figures it brings or takes away."""
        item = new if new is not None else old
        kind = SETTING if name in SETTING_FIELDS else TEXT
        text = _summary(item)
        shown = f"「{text}」" if isinstance(item, (str, BaseModel)) else show(item)
        needle = [squash(item.plain if isinstance(item, Text) else text)[:30]]
        if new is None:
            self._add(kind, REMOVED, path, where, shown, None, (needle, []))
        else:
            self._add(kind, ADDED, path, where, None, shown, ([], needle))
        for fid, _ in figures_in(item):
            self._figure(fid)

    def _figure(self, fid: str) -> None:
        if fid in self.reported:
            return
        self.reported.add(fid)
        change = figure_change(fid, self.figures[0].get(fid), self.figures[1].get(fid), self.sections)
        if change:
            self.changes.append(change)

    def _add(self, kind, action, path, where, old, new, needles) -> None:
        self.changes.append(Change(kind, action, path, where, old, new, self.sections, needles))

    def _section_order(self) -> None:
        """Moving a whole section is a change even though no section's content changed."""
        common = {s.id for s in self.old.sections} & {s.id for s in self.new.sections}
        old_order = [s for s in self.old.sections if s.id in common]
        new_order = [s for s in self.new.sections if s.id in common]
        if [s.id for s in old_order] != [s.id for s in new_order]:
            self.sections = (None, None)
            self._add(SETTING, CHANGED, "sections", "章节顺序", "、".join(s.title for s in old_order),
                      "、".join(s.title for s in new_order), ([], []))


def figure_change(fid: str, old: Figure | None, new: Figure | None, sections) -> Change | None:
    """The change of one figure (matched by id), or None when it reads the same."""
    if old is None and new is None:
        return None
    path = f"figures[{fid}]"
    if old is None or new is None:
        fig = new or old
        action, side = (ADDED, 1) if old is None else (REMOVED, 0)
        needles, hints = ([], []), ([], [])
        needles[side].extend(_figure_needles(fig))
        hints[side].append(squash(fig.label))
        return Change(FIGURE, action, path, figure_name(fig), _shown(old), _shown(new), sections, needles, hints)
    value_changed = old.value != new.value or old.unit != new.unit
    details = [f"{label}：{show(getattr(old, f))} → {show(getattr(new, f))}"
               for f, label in FIGURE_FIELDS if getattr(old, f) != getattr(new, f)]
    if not value_changed and not details:
        return None
    shown = (_shown(old), _shown(new)) if value_changed else (None, None)
    return Change(FIGURE, CHANGED, path, figure_name(new), *shown, sections,
                  (_figure_needles(old), _figure_needles(new)), ([squash(old.label)], [squash(new.label)]), details)


def figure_name(figure: Figure) -> str:
    """地区生产总值（2019年）."""
    return figure.label + (f"（{figure.year}年）" if figure.year else "")


def _shown(figure: Figure | None) -> str | None:
    return None if figure is None else figure.display + figure.unit


def _figure_needles(figure: Figure) -> list[str]:
    """The value with its unit, and the bare value as charts print it (when distinctive)."""
    needles = [squash(figure.display + figure.unit)]
    if figure.unit and len(figure.display) >= 3:
        needles.append(figure.display)
    return needles


def _printed(value) -> list[str]:
    """How a non-text value appears in the booklet, where that is distinctive (dates)."""
    return [f"{value.year}年{value.month}月{value.day}日"] if isinstance(value, date) else []


def _same(a, b) -> bool:
    """Equal as data: numbers by value (1100 == 1100.0), everything else exactly."""
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _pair_sections(olds: list[Section], news: list[Section]) -> list[tuple[Section | None, Section | None]]:
    """Sections matched by id, in the new order; a removed one stays after its old predecessor."""
    new_ids = {s.id for s in news}
    old_by_id = {s.id: s for s in olds}
    removed_after: dict[str | None, list[Section]] = {}
    anchor = None
    for section in olds:
        if section.id in new_ids:
            anchor = section.id
        else:
            removed_after.setdefault(anchor, []).append(section)
    pairs: list = [(s, None) for s in removed_after.get(None, [])]
    for section in news:
        pairs.append((old_by_id.get(section.id), section))
        pairs += [(s, None) for s in removed_after.get(section.id, [])]
    return pairs


def _holds_figures(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, Figure) for v in value.values())


def field_name(model: type, name: str) -> str:
    """A field's Chinese name: its own ``title`` (new block types say it there), else the shared table."""
    info = model.model_fields.get(name)
    if info is not None and info.title:
        return info.title
    return FIELD_NAMES.get(f"{model.__name__}.{name}", FIELD_NAMES.get(name, name))


def _item_label(name: str, index: int, item) -> str:
    """How a list entry is named: by its class (model.diff_label), else by position."""
    label = item.diff_label(index) if hasattr(item, "diff_label") else None
    if label is not None:
        return label
    return f"{FIELD_NAMES.get(name, name)}第{index + 1}项"


def _summary(item) -> str:
    """A short text naming an added or removed entry."""
    if not isinstance(item, BaseModel):
        return show(item)
    if isinstance(item, ChartBlock):
        return f"图表“{item.title}”"
    if hasattr(item, "title") and item.title:
        return item.title
    if hasattr(item, "keyword"):
        return f"{item.keyword}：{item.text}"
    if isinstance(item, Text):
        return item.text
    # a block without a title: name what it holds
    children = next((v for v in (getattr(item, n) for n in type(item).model_fields) if isinstance(v, list)), [])
    return "、".join(_summary(child) for child in children)[:60]


# ---------------------------------------------------------------------------
# Aligning list entries

SIMILAR = 0.6  # entries at least this alike may be paired as "changed"


def align(olds: list, news: list) -> list[tuple[object, object, int | None, int | None]]:
    """Pair old and new entries in order: (old, new, i, j), with None for added/removed ones.

    Identical entries pair first, then similar ones of the same type; left-over
    entries between two pairs pair up by position when both sides have the same
    number (an entry rewritten in place), otherwise they are removed/added.
    """
    keys = [_identity(x) for x in olds], [_identity(x) for x in news]
    pairs = _best_pairs(keys[0], keys[1], olds, news)
    out: list = []
    last_i = last_j = 0
    for i, j in pairs + [(len(olds), len(news))]:
        out += _gap(olds, news, range(last_i, i), range(last_j, j))
        if i < len(olds) and j < len(news):
            out.append((olds[i], news[j], i, j))
        last_i, last_j = i + 1, j + 1
    return out


def _best_pairs(old_keys: list, new_keys: list, olds: list, news: list) -> list[tuple[int, int]]:
    """Order-preserving pairs with the greatest total likeness (a weighted LCS)."""
    n, m = len(old_keys), len(new_keys)
    like = [[_likeness(old_keys[i], new_keys[j], olds[i], news[j]) for j in range(m)] for i in range(n)]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            paired = score[i + 1][j + 1] + like[i][j] if like[i][j] else 0.0
            score[i][j] = max(score[i + 1][j], score[i][j + 1], paired)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if like[i][j] and score[i][j] == score[i + 1][j + 1] + like[i][j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _likeness(a, b, old, new) -> float:
    if type(old) is not type(new):
        return 0.0
    if a == b:
        return 2.0
    matcher = difflib.SequenceMatcher(None, repr(a), repr(b), autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:  # cheap upper bounds first
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= SIMILAR else 0.0


def _gap(olds: list, news: list, old_range: range, new_range: range) -> list:
    if len(old_range) == len(new_range) and all(type(olds[i]) is type(news[j]) for i, j in zip(old_range, new_range)):
        return [(olds[i], news[j], i, j) for i, j in zip(old_range, new_range)]
    return [(olds[i], None, i, None) for i in old_range] + [(None, news[j], None, j) for j in new_range]


def _identity(item):
    """What an entry says, without its figures' values (those are compared by id)."""
    if isinstance(item, BaseModel):
        return tuple((name, _identity(getattr(item, name))) for name in type(item).model_fields
                     if not (name == "figures" and isinstance(item, Text)))
    if isinstance(item, list):
        return tuple(_identity(x) for x in item)
    if isinstance(item, dict):
        return tuple(sorted((k, _identity(v)) for k, v in item.items()))
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return float(item)
    return item


# ---------------------------------------------------------------------------
# Finding changes in a built PDF


@dataclass
class PageText:
    """A page's text, squashed, with the box (left, bottom, right, top) of every character."""

    text: str
    boxes: list[tuple[float, float, float, float]]


class BuiltPdf:
    """A booklet PDF as text per page, plus the page range of each section (from the bookmarks)."""

    def __init__(self, path: Path):
        self.path = path
        doc = pdfium.PdfDocument(str(path))
        try:
            self.pages = [read_page(doc[i]) for i in range(len(doc))]
            self.sections = section_ranges(doc)
        finally:
            doc.close()

    def find_page(self, needles: list[str], section: str | None) -> int | None:
        """0-based index of the first page (within the section, if known) showing a needle."""
        pages = self.sections.get(section, range(len(self.pages))) if section else range(len(self.pages))
        for needle in needles:
            for index in pages:
                if find_all(self.pages[index].text, needle):
                    return index
        return None

    def rects(self, index: int, needles: list[str]) -> list[tuple[float, float, float, float]]:
        """Boxes around every occurrence of the needles on a page, one per line of text."""
        page = self.pages[index]
        rects = []
        for needle in needles:
            for start, end in find_all(page.text, needle):
                rects += line_boxes(page.boxes[start:end])
        return rects


def read_page(page) -> PageText:
    textpage = page.get_textpage()
    chars, boxes = [], []
    try:
        for i in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
            for char in unicodedata.normalize("NFKC", chr(code)) if code else "":
                if not char.isspace() and unicodedata.category(char)[0] != "C":
                    chars.append(char)
                    boxes.append(textpage.get_charbox(i))
    finally:
        textpage.close()
    return PageText("".join(chars), boxes)


def section_ranges(doc) -> dict[str, range]:
    """Section title → page indexes, from the top-level bookmarks."""
    starts = []
    for bookmark in doc.get_toc():
        dest = bookmark.get_dest()
        if bookmark.level == 0 and dest is not None:
            starts.append((bookmark.get_title(), dest.get_index()))
    ranges = {}
    for k, (title, start) in enumerate(starts):
        end = starts[k + 1][1] if k + 1 < len(starts) else len(doc)
        ranges[title] = range(start, max(end, start + 1))
    return ranges


NUMBER_CHARS = "0123456789."


def find_all(text: str, needle: str) -> list[tuple[int, int]]:
    """Occurrences of needle in text; a number never matches inside a longer number."""
    found, start = [], 0
    while needle and (i := text.find(needle, start)) >= 0:
        end = i + len(needle)
        glued_before = needle[0].isdigit() and i > 0 and text[i - 1] in NUMBER_CHARS
        glued_after = needle[-1].isdigit() and end < len(text) and text[end] in NUMBER_CHARS
        if not (glued_before or glued_after):
            found.append((i, end))
        start = i + 1
    return found


def line_boxes(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Merge character boxes into one box per line."""
    lines: list[list[float]] = []
    for left, bottom, right, top in boxes:
        if lines and abs((bottom + top) / 2 - (lines[-1][1] + lines[-1][3]) / 2) < (top - bottom) / 2 \
                and left >= lines[-1][0] - 1:
            line = lines[-1]
            line[:] = [min(line[0], left), min(line[1], bottom), max(line[2], right), max(line[3], top)]
        else:
            lines.append([left, bottom, right, top])
    return [tuple(line) for line in lines]


def last_build(output: Path, name: str) -> Path | None:
    """The newest booklet PDF in output/<name>/, if the report was built before.

    The screen edition is preferred (no bleed), then the print edition; an
    imposed (saddle-stitch) file is never used, its pages are out of order.
    """
    pdfs = [p for p in (output / name).glob("*.pdf") if not p.name.startswith(".") and "imposed" not in p.stem]
    if not pdfs:
        return None
    newest = max(p.stat().st_mtime for p in pdfs)
    same_build = [p for p in pdfs if p.stat().st_mtime > newest - 600]  # editions of one run
    rank = {"screen": 2, "print": 1}
    return max(same_build, key=lambda p: (rank.get(p.stem.rsplit("-", 1)[-1], 0), p.stat().st_mtime))


def locate(changes: list[Change], built: BuiltPdf) -> None:
    """Set each change's page from a build (new wording first, then old wording, then labels)."""
    for change in changes:
        needles = change.needles[1] + change.needles[0] + change.hints[1] + change.hints[0]
        index = built.find_page(needles, change.section)
        change.page = None if index is None else index + 1


# ---------------------------------------------------------------------------
# The side-by-side sheet

DPI = 120  # enough to read body text on the sheet
MARGIN, HEADER = 28, 56
BOX_COLOUR = (228, 0, 127)  # proofreader's magenta: not a colour of the booklet theme
FILL_COLOUR = (255, 214, 0, 64)


def write_sheet(changes: list[Change], old_pdf: Path, new_pdf: Path, target: Path) -> int:
    """Draw the changed pages, old beside new, changes boxed; return the number of sheets."""
    old, new = BuiltPdf(old_pdf), BuiltPdf(new_pdf)
    groups = page_pairs(changes, old, new)
    sheets = []
    old_doc, new_doc = pdfium.PdfDocument(str(old_pdf)), pdfium.PdfDocument(str(new_pdf))
    try:
        for (i, j), group in groups.items():
            left = render_side(old_doc, old, i, [_side_needles(c, 0, old, i) for c in group])
            right = render_side(new_doc, new, j, [_side_needles(c, 1, new, j) for c in group])
            sheets.append(compose(left, right, _caption("修订前", i), _caption("修订后", j)))
    finally:
        old_doc.close()
        new_doc.close()
    if sheets:
        write_atomic(target, encode(sheets, target.suffix.lower()))
    return len(sheets)


def write_atomic(target: Path, data: bytes) -> None:
    """Write beside the target and rename into place, so a half-written sheet is never left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def page_pairs(changes: list[Change], old: BuiltPdf, new: BuiltPdf) -> dict[tuple, list[Change]]:
    """Group the changes by (old page, new page); also sets each change's page in the new build."""
    groups: dict[tuple, list[Change]] = {}
    for change in changes:
        i = old.find_page(change.needles[0] + change.hints[0], change.sections[0])
        j = new.find_page(change.needles[1] + change.hints[1], change.sections[1])
        if i is None and j is None:
            continue
        i = _counterpart(i, j, new, old, change.sections[1], change.sections[0])
        j = _counterpart(j, i, old, new, change.sections[0], change.sections[1])
        change.page = None if j is None else j + 1
        groups.setdefault((i, j), []).append(change)
    return groups


def _counterpart(index, other, other_pdf: BuiltPdf, pdf: BuiltPdf, other_section, section) -> int | None:
    """A page missing on one side (added/removed entry): the same place in the same section."""
    if index is not None or other is None:
        return index
    if other_section in other_pdf.sections and section in pdf.sections:
        offset = other - other_pdf.sections[other_section].start
        here = pdf.sections[section]
        return min(here.start + offset, here.stop - 1)
    return None


def _side_needles(change: Change, side: int, built: BuiltPdf, index: int | None) -> list[str]:
    if index is None or any(built.rects(index, [n]) for n in change.needles[side]):
        return change.needles[side]
    return change.hints[side]


def _caption(word: str, index: int | None) -> str:
    return f"{word}：第{index + 1}页" if index is not None else f"{word}：无对应页"


def render_side(doc, built: BuiltPdf, index: int | None, needle_sets: list[list[str]]) -> Image.Image | None:
    """One page as an image with the changed text boxed (None when there is no such page)."""
    if index is None:
        return None
    scale = DPI / 72
    page = doc[index]
    image = page.render(scale=scale).to_pil().convert("RGB")
    left, _, _, top = page.get_cropbox()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for needles in needle_sets:
        for x0, y0, x1, y1 in built.rects(index, needles):
            box = ((x0 - left) * scale - 3, (top - y1) * scale - 3, (x1 - left) * scale + 3, (top - y0) * scale + 3)
            draw.rectangle(box, fill=FILL_COLOUR, outline=BOX_COLOUR + (255,), width=3)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def compose(left: Image.Image | None, right: Image.Image | None, left_caption: str, right_caption: str) -> Image.Image:
    """Two page images side by side under their captions."""
    present = [image for image in (left, right) if image is not None]
    size = (max(i.width for i in present), max(i.height for i in present))  # page size may have changed too
    sheet = Image.new("RGB", (2 * size[0] + 3 * MARGIN, size[1] + HEADER + MARGIN), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(str(Paths().fonts / "NotoSansSC-Bold.otf"), 24)
    for k, (image, caption) in enumerate(((left, left_caption), (right, right_caption))):
        x = MARGIN + k * (size[0] + MARGIN)
        draw.text((x, (HEADER - 24) // 2), caption, fill=(40, 40, 40), font=font)
        if image is not None:
            sheet.paste(image, (x, HEADER))
        draw.rectangle((x - 1, HEADER - 1, x + size[0], HEADER + size[1]), outline=(150, 150, 150))
    return sheet


def encode(sheets: list[Image.Image], suffix: str) -> bytes:
    """A PDF with one sheet per page, or one PNG with the sheets stacked."""
    buffer = io.BytesIO()
    if suffix == ".pdf":
        sheets[0].save(buffer, "PDF", save_all=True, append_images=sheets[1:], resolution=DPI, quality=90)
    else:
        tall = Image.new("RGB", (max(s.width for s in sheets), sum(s.height for s in sheets)), "white")
        y = 0
        for sheet in sheets:
            tall.paste(sheet, (0, y))
            y += sheet.height
        tall.save(buffer, "PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Inputs: two files, or one file against a git revision


def load(path: Path, shown_as: str) -> Report:
    """load_report, with errors naming the file as the user knows it."""
    try:
        return load_report(path)
    except ReportError as exc:
        for error in getattr(exc, "errors", []) + [exc]:
            if error.file == str(path):
                error.file = shown_as
        raise


def at_revision(path: Path, revision: str, folder: Path) -> Path:
    """Write the file as it was at a git revision into folder, under its own name."""
    try:
        done = subprocess.run(["git", "-C", str(path.parent), "show", f"{revision}:./{path.name}"],
                              capture_output=True, check=False)
    except FileNotFoundError:
        raise ReportError("没有找到 git 命令，无法使用 --against；请直接给出两个文件进行比较") from None
    if done.returncode != 0:
        raise ReportError(_git_problem(done.stderr.decode("utf-8", "replace"), revision), file=str(path))
    copy = folder / "revision" / path.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(done.stdout)
    return copy


def _git_problem(stderr: str, revision: str) -> str:
    if "not a git repository" in stderr:
        return "这个文件不在 git 版本库里，无法与历史版本比较"
    if "exists on disk, but not in" in stderr or "does not exist in" in stderr:
        return f"版本“{revision}”里还没有这个文件"
    if "unknown revision" in stderr or "invalid object name" in stderr or "bad revision" in stderr:
        return f"找不到版本“{revision}”（可以写 HEAD、HEAD~1、提交编号或标签）"
    return f"git 无法取出版本“{revision}”：{stderr.strip().splitlines()[0] if stderr.strip() else '未知错误'}"


# ---------------------------------------------------------------------------
# The command: render.py diff


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="文件.yaml",
                        help="修订前和修订后的报告数据；用 --against 时只给一个文件")
    parser.add_argument("--against", metavar="版本",
                        help="与这个文件在 git 某个版本（如 HEAD）里的内容比较")
    parser.add_argument("--pdf", metavar="对照.pdf",
                        help="另外生成新旧对照页（.pdf 或 .png）：左边修订前、右边修订后，改动处加框")
    parser.add_argument("-o", "--output", metavar="目录", default=None,
                        help="到这个目录里找上次生成的 PDF 以标出页码（默认为项目的 output/）")
    parser.add_argument("--paths", action="store_true", help="同时列出每处改动在数据结构中的位置")


def run(args: argparse.Namespace) -> int:
    problem = _usage_problem(args)
    if problem:
        print(f"render.py diff：{problem}\n（运行 render.py diff --help 查看用法）", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="tujie-diff-") as tmp:
            return _run(args, Path(tmp))
    except ReportError as exc:
        print(f"✗ 无法比较：\n{exc}", file=sys.stderr)
        return 1


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.against is not None and len(args.files) != 1:
        return "用 --against 时只需给出一个文件"
    if args.against is None and len(args.files) != 2:
        return "需要两个文件：修订前.yaml 修订后.yaml（或者用 --against 版本 文件.yaml）"
    if args.pdf and Path(args.pdf).suffix.lower() not in (".pdf", ".png"):
        return "--pdf 的文件名应以 .pdf 或 .png 结尾"
    return None


def _run(args: argparse.Namespace, tmp: Path) -> int:
    if args.against is not None:
        new_path = Path(args.files[0])
        old_path, old_name = at_revision(new_path, args.against, tmp), f"{args.against}:{args.files[0]}"
    else:
        old_path, new_path, old_name = Path(args.files[0]), Path(args.files[1]), args.files[0]
    changes = compare(load(old_path, old_name), load(new_path, str(new_path)))
    print(f"比较 {old_name} → {new_path}")
    if not changes:
        print("没有变化")
        return 0
    print(_place_pages(args, changes, old_path, new_path, tmp))
    for number, change in enumerate(changes, 1):
        print(f"{number:>3}. {change.describe()}" + (f"  [{change.path}]" if args.paths else ""))
    print(summary(changes))
    return 0


def _place_pages(args, changes: list[Change], old_path: Path, new_path: Path, tmp: Path) -> str:
    """Find pages (from fresh builds with --pdf, else the last build); say where they come from."""
    if args.pdf:
        old_pdf, new_pdf = build_for_sheet(old_path, tmp / "old"), build_for_sheet(new_path, tmp / "new")
        count = write_sheet(changes, old_pdf, new_pdf, Path(args.pdf))
        if not count:
            return "在生成的 PDF 里没有找到改动所在的页，没有生成对照页。"
        return f"新旧对照页已写入 {args.pdf}（{count} 张）；页码为修订后的页码。"
    output = Paths().output if args.output is None else Path(args.output)
    pdf = last_build(output, new_path.stem)
    if pdf is None:
        return "（还没有生成过这份报告，所以不标页码。）"
    locate(changes, BuiltPdf(pdf))
    return f"页码依据上次生成的 {_relative(pdf)}（若上次生成后又改过版式，页码可能有出入）。"


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def build_for_sheet(source: Path, output: Path) -> Path:
    """Build one version into a scratch folder; only the screen edition when editions can be chosen."""
    options = {"editions": ("screen",)} if "editions" in inspect.signature(build_report).parameters else {}
    return build_report(source, Paths(output=output), **options).pdf
