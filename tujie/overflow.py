"""Find content that does not fit after layout: overflowing, cut or colliding.

CSS lets content overflow its box silently: a long unbreakable string runs
past a card's edge, a big number in a ``white-space: nowrap`` card sticks out,
a block too tall to break is cut by the page bottom, a cover title pushes into
the issuer line, a one-page section (cover, contents, back) spills onto an
extra page that nobody planned for. Any of these reaching the print shop
costs a reprint, so after WeasyPrint has laid out the booklet this module
walks every page's box tree (``Document.pages[i]._page_box``) and reports
each problem with its page, section and the start of its text.

The rules look only at geometry, so they need no knowledge of the layout's
CSS beyond the class names its manifest lists (``classes`` in
``layout.yaml``): those of one-page sections, and of section titles, whose
text names the section in messages. Content may run into the padding of a box that draws a
background or border (a card, a panel), never past it or past the type area.
Positions are in CSS px (1 px = 1/96 in); :data:`TOLERANCE_PX` absorbs the
sub-pixel rounding of justification and font metrics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from weasyprint.formatting_structure import boxes

from .errors import ReportError, ReportErrors

TOLERANCE_PX = 1.5  # ≈ 0.4 mm
PX_TO_MM = 25.4 / 96
EM_ASCENT = 0.88  # share of the ideographic em box above the baseline (Noto Sans CJK)
OVERLAP_SHARE = 0.3  # two texts overlapping by more than this share of the smaller one collide

KINDS = {
    "wide": "超出了所在框的右边（比如一串不能断行的长字母、数字或网址，或数字卡片放不下）",
    "tall": "超出了所在框的底部，会被遮住或压到下面的内容",
    "page": "超出了页面的版心底部，会被切掉或压到页脚",
    "extra-page": "一页排不下，多出了计划之外的页",
    "overlap": "和另一段文字重叠",
}


@dataclass(frozen=True)
class Overflow:
    """One place where content does not fit."""

    kind: str  # a key of KINDS
    page: int  # 1-based
    section: str  # title of the section on that page
    text: str  # the start of the item's text, as shown to the user
    amount_mm: float = 0.0
    context: str = ""  # more of the item's text, to find it in the data

    def __str__(self) -> str:
        amount = f"（约 {self.amount_mm:.1f} 毫米）" if self.amount_mm >= 0.1 else ""
        return f"第 {self.page} 页（{self.section}）“{self.text}”{KINDS[self.kind]}{amount}"


def find_overflows(document, classes: dict) -> list[Overflow]:
    """Every overflow in a laid-out WeasyPrint document, in page order.

    ``classes`` are the layout manifest's ``classes`` (one-page sections, section titles)."""
    found: list[Overflow] = []
    section = "封面"
    pages_of: dict[int, list[int]] = {}  # id(section element) → pages it is on
    names: dict[int, str] = {}
    for number, page in enumerate(document.pages, 1):
        page_box = page._page_box
        walker = _PageWalker(number, page_box, section, classes)
        walker.walk(page_box, [])
        section = walker.section
        found += walker.found
        for element, name in walker.one_page_sections:
            pages_of.setdefault(id(element), []).append(number)
            names[id(element)] = name
    spilled = [Overflow("extra-page", pages[1], names[key], names[key], context=names[key])
               for key, pages in pages_of.items() if len(pages) > 1]
    return _unique(spilled + found)  # a spilled page first: it explains the cut texts after it


class _PageWalker:
    """Walk one page's boxes top-down, keeping the ancestors of each box."""

    def __init__(self, number: int, page_box, section: str, classes: dict):
        self.number, self.section = number, section
        self.one_page, self.titles = classes["one_page"], set(classes["section_title"])
        self.bottom = page_box.content_box_y() + page_box.height  # foot of the type area
        self.right = page_box.content_box_x() + page_box.width  # right edge of the type area
        self.found: list[Overflow] = []
        self.texts: list[tuple[tuple[float, float, float, float], list]] = []
        self.one_page_sections: list[tuple[object, str]] = []

    def walk(self, box, ancestors: list) -> None:
        self._note_section(box)
        if isinstance(box, (boxes.TextBox, boxes.ReplacedBox)):
            self._check_leaf(box, ancestors)
        elif isinstance(box, boxes.ParentBox) and not isinstance(box, boxes.MarginBox):
            for child in box.children:
                child = getattr(child, "_box", child)  # an absolutely positioned box's placeholder
                if isinstance(child, boxes.Box):
                    self._check_child(box, child, ancestors)
                    self.walk(child, ancestors + [box])
        if not ancestors:
            self._check_overlaps()

    def _note_section(self, box) -> None:
        if box.element is None or box.element_tag != "section" or isinstance(box, boxes.TextBox):
            if box.element_tag == "h1" and _classes(box) & self.titles and isinstance(box, boxes.BlockBox):
                self.section = _text_of(box, 40) or self.section
            return
        for name, label in self.one_page.items():
            if name in _classes(box) and not any(e is box.element for e, _ in self.one_page_sections):
                self.one_page_sections.append((box.element, label))
                self.section = label

    def _check_leaf(self, leaf, ancestors: list) -> None:
        container = next((a for a in reversed(ancestors) if isinstance(a, boxes.BlockContainerBox)), None)
        if container is not None:
            right = self._right_limit(container.content_box_x() + container.width, ancestors)
            excess = leaf.position_x + leaf.margin_width() - right
            if excess > TOLERANCE_PX and _has_ink(leaf):
                self._add("wide", leaf, ancestors, excess)
        excess = leaf.position_y + leaf.margin_height() - self.bottom
        if excess > TOLERANCE_PX and _has_ink(leaf):
            self._add("page", leaf, ancestors, excess)
        if isinstance(leaf, boxes.TextBox) and leaf.text.strip():
            self.texts.append((_em_box(leaf), ancestors + [leaf]))

    def _right_limit(self, content_right: float, ancestors: list) -> float:
        """How far right content may reach: its container, or the padding of the card it sits in.

        A reader sees a card's (or panel's) tinted or bordered box, not its
        content box: a figure that runs into the card's padding still sits in
        the card. Never past the type area, though (an opener's padding runs
        into the bleed).
        """
        card = next((a for a in reversed(ancestors) if _visible(a)), None)
        if card is None:
            return content_right
        padding_right = card.padding_box_x() + card.padding_width()
        return min(max(content_right, padding_right), max(content_right, self.right))

    def _check_child(self, parent, child, ancestors: list) -> None:
        """A block, flex/grid item or inline-block sticking out of its parent."""
        if isinstance(child, (boxes.TextBox, boxes.LineBox)):
            return
        container = parent if not isinstance(parent, (boxes.LineBox, boxes.InlineBox)) else next(
            (a for a in reversed(ancestors) if isinstance(a, boxes.BlockContainerBox)), None)
        if container is not None and child.margin_left >= 0 and child.margin_right >= 0:  # negative: bleeds on purpose
            # an absolutely positioned box may use its container's padding (e.g. a page number at right: 0)
            absolute = child.style["position"] in ("absolute", "fixed")
            right = container.content_box_x() + container.width + (container.padding_right if absolute else 0)
            right = self._right_limit(right, ancestors + [parent])
            excess = child.position_x + child.margin_left + child.border_width() - right
            if excess > TOLERANCE_PX and _has_ink(child):
                # in a row of cards one wide card pushes the others out: name the widest
                siblings = [getattr(c, "_box", c) for c in parent.children]
                widest = max((c for c in siblings if isinstance(c, boxes.Box) and not isinstance(c, boxes.TextBox)),
                             key=lambda c: c.border_width(), default=child)
                self._add("wide", widest, ancestors + [parent], excess)
        if isinstance(parent, (boxes.LineBox, boxes.InlineBox)):
            return
        if _fixed(parent, "height") and child.margin_top >= 0:
            bottom = parent.padding_box_y() + parent.padding_height()
            excess = child.position_y + child.margin_top + child.border_height() - bottom
            if excess > TOLERANCE_PX and _has_ink(child):
                self._add("tall", child, ancestors + [parent], excess)

    def _check_overlaps(self) -> None:
        """Texts drawn over each other (e.g. a long cover title running into the issuer line)."""
        items = sorted(self.texts, key=lambda item: item[0][1])
        for i, (a, a_chain) in enumerate(items):
            for b, b_chain in items[i + 1:]:
                if b[1] >= a[3]:
                    break
                width = min(a[2], b[2]) - max(a[0], b[0])
                height = min(a[3], b[3]) - max(a[1], b[1])
                if width <= 0 or height <= 0:
                    continue
                smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                if smaller > 0 and width * height > OVERLAP_SHARE * smaller and not _same_line(a_chain, b_chain):
                    self._add("overlap", b_chain[-1], b_chain[:-1], 0)

    def _add(self, kind: str, box, ancestors: list, excess_px: float) -> None:
        item = _item_of(box, ancestors)
        text = _text_of(item, 24) or _text_of(box, 24) or _alt_of(box) or "（图片）"
        context = _text_of(item, 80) or _alt_of(box, 80)
        self.found.append(Overflow(kind, self.number, self.section, text, round(excess_px * PX_TO_MM, 1), context))


def _em_box(text) -> tuple[float, float, float, float]:
    """Where a text box's glyphs are: the CJK ideographic em box around its baseline.

    A text box's own height is the font's ascent + descent (≈1.45 em for Noto
    CJK), taller than a tight ``line-height`` lets lines be; boxes of adjacent
    lines overlap although their glyphs do not.
    """
    size = text.style["font_size"]
    baseline = text.position_y + (text.baseline if text.baseline is not None else 0.88 * size)
    return (text.position_x, baseline - EM_ASCENT * size, text.position_x + text.width,
            baseline + (1 - EM_ASCENT) * size)


def _same_line(a_chain: list, b_chain: list) -> bool:
    """Two pieces of one line box (a figure inside a sentence) never collide with each other."""
    a_line = next((x for x in reversed(a_chain) if isinstance(x, boxes.LineBox)), None)
    b_line = next((x for x in reversed(b_chain) if isinstance(x, boxes.LineBox)), None)
    return a_line is not None and a_line is b_line


def _visible(box) -> bool:
    """Whether a box draws its own edges: a background or a border."""
    if isinstance(box, (boxes.TextBox, boxes.LineBox, boxes.PageBox)) or box.element_tag in ("html", "body"):
        return False
    if any((box.border_top_width, box.border_right_width, box.border_bottom_width, box.border_left_width)):
        return True
    colour = box.style["background_color"]
    images = box.style["background_image"]
    return getattr(colour, "alpha", 0) > 0 or any(kind != "none" for kind, *_ in images)


def _fixed(box, prop: str) -> bool:
    value = box.style[prop]
    return value != "auto" and getattr(value, "unit", None) != "%"


def _has_ink(box) -> bool:
    """Whether the box draws something: text, an image, or a visible descendant."""
    if isinstance(box, boxes.TextBox):
        return bool(box.text.strip())
    if isinstance(box, boxes.ReplacedBox):
        return box.width > 0 and box.height > 0
    return any(_has_ink(getattr(c, "_box", c)) for c in getattr(box, "children", ()) if isinstance(getattr(c, "_box", c), boxes.Box))


def _classes(box) -> set[str]:
    return set((box.element.get("class") or "").split()) if box.element is not None and hasattr(box.element, "get") else set()


def _item_of(box, ancestors: list):
    """The nearest enclosing block with a class (a card, a panel, a paragraph) — what a reader calls the item."""
    for candidate in [box] + list(reversed(ancestors)):
        if not isinstance(candidate, (boxes.TextBox, boxes.LineBox, boxes.InlineBox)) and _classes(candidate) \
                and _text_of(candidate, 1):
            return candidate
    return box


def _alt_of(box, limit: int = 24) -> str:
    """A chart image is named by its alt text (the chart's ``alt`` in the data)."""
    for child in box.descendants():
        child = getattr(child, "_box", child)
        if isinstance(child, boxes.ReplacedBox) and child.element is not None and child.element.get("alt"):
            alt = child.element.get("alt")
            return alt if len(alt) <= limit else alt[:limit] + "…"
    return ""


def _text_of(box, limit: int) -> str:
    """The first ``limit`` characters of the text inside a box (whitespace squeezed)."""
    parts: list[str] = []
    for child in box.descendants():
        child = getattr(child, "_box", child)
        if isinstance(child, boxes.TextBox):
            parts.append(child.text)
            if sum(len(p) for p in parts) > limit * 2:
                break
    text = " ".join("".join(parts).split())
    return text if len(text) <= limit else text[:limit] + "…"


def _unique(found: list[Overflow]) -> list[Overflow]:
    seen, out = set(), []
    for item in found:
        key = (item.kind, item.page, item.text)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


HINTS = {
    "wide": "请缩短文字，或给长串字母、数字、网址加上空格以便断行；数字卡片放不下时可换用较大的单位（如“万元”改“亿元”）",
    "tall": "请缩短文字或拆成两条",
    "page": "请缩短文字、拆成两条，或减少图表里的项目",
    "extra-page": "请缩短这一页上的文字（标题、章节名、目录项）",
    "overlap": "请缩短文字",
}
ESCAPE_HATCH = "确认可以接受时，加上 --allow-overflow 仍然生成（不建议交付印刷）"


def overflow_errors(document, source: Path, classes: dict) -> list[ReportError]:
    """Every overflow as a located Chinese error (not raised: the caller decides, see tujie/build.py)."""
    errors = []
    for item in find_overflows(document, classes):
        e = _locate(item, source)
        errors.append(ReportError(f"排版超出：{e.message}。{HINTS[item.kind]}；{ESCAPE_HATCH}",
                                  file=e.file, line=e.line, field=e.field))
    return errors


def check_layout(document, source: Path, classes: dict, allow: bool = False) -> list[str]:
    """Raise ReportErrors naming every overflow, or (``allow``) return them as warnings to print."""
    found = find_overflows(document, classes)
    if not found:
        return []
    located = [(item, _locate(item, source)) for item in found]
    if allow:
        return [f"警告（已按 --allow-overflow 放行）：{error}" for _, error in located]
    errors = [ReportError(f"排版超出：{e.message}。{HINTS[item.kind]}；{ESCAPE_HATCH}",
                          file=e.file, line=e.line, field=e.field) for item, e in located]
    raise ReportErrors(errors[:20], more=max(0, len(errors) - 20))


def _locate(item: Overflow, source: Path) -> ReportError:
    """Find the data line that produced an overflowing item, by pieces of its printed text."""
    line, field = locate_text(source, item.context or item.text)
    return ReportError(str(item), file=str(source), line=line, field=field)


def locate_text(source: Path, text: str) -> tuple[int | None, str | None]:
    """(line, field) of the data string that prints ``text`` (placeholders shown as their figures)."""
    from .load import load_marks  # late: only needed on the error path
    from .yamlio import dotted

    try:
        marks = load_marks(source)
        strings = [(path, "".join(value.split())) for path, value in _yaml_strings(source)]
    except ReportError:
        return None, None
    for needle in _needles(text):
        for path, value in strings:
            if needle in value:
                return marks.get(path, (None,))[0], dotted(path)
    return None, None


def _needles(text: str) -> list[str]:
    """The item's start, then its longer runs of words (a card mixes a figure and a label)."""
    squeezed = "".join(text.rstrip("…").split())
    runs = sorted(re.findall(r"[\w.%“”（）]{4,}", squeezed), key=len, reverse=True)
    return [n for n in [squeezed[:12]] + runs if n]


def _yaml_strings(source: Path) -> list[tuple[tuple, str]]:
    """(path, text as printed) of every string in the data; placeholders become their figures."""
    from .yamlio import items  # the same depth-first walk the loader uses
    from .model import PLACEHOLDER, fmt_number
    from .yamlio import load_yaml

    data, _ = load_yaml(source, str(source))
    figures: dict[str, str] = {}
    for path, value in items(data, ()):
        if len(path) >= 2 and path[-2] == "figures" and isinstance(value, dict) and "value" in value:
            try:
                figures[str(path[-1])] = fmt_number(value["value"]) + str(value.get("unit", ""))
            except (TypeError, ValueError):
                pass
    out = []
    for path, value in items(data, ()):
        if isinstance(value, str):
            out.append((path, PLACEHOLDER.sub(lambda m: figures.get(m[1], m[0]), value)))
    return out
