"""Design checks on laid-out pages: how full each page is, and what sits badly on it.

In:  a laid-out WeasyPrint document and the layout's class names (manifest).
Out: per page, a :class:`PageShape` (fill of the type area, whether the page's
last thing is a heading, how many cards and lines it holds). The build turns
these into findings with page numbers and data lines (:func:`findings`);
the layout's manifest and the report's ``checks.design`` decide whether a
finding fails the build or warns.

Fill is the depth of content in the type area: from the top of the type area
to the lowest line, picture or tinted box on the page, as a share of the type
area's height. A page whose content ends halfway down has a fill of 0.5
however much white lies between its blocks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from weasyprint.formatting_structure import boxes


@dataclass(frozen=True)
class PageShape:
    fill: float  # 0–1
    last_is_heading: bool  # a heading is the lowest thing on the page: stranded at its foot
    cards: int  # boxes of the layout's card classes that start on this page
    lines: int  # line boxes with text
    kind: str  # "content", or the one-page section it belongs to (cover, notes…)
    heading: str = ""  # text of the stranded heading
    first: tuple = ()  # the page's first few texts (not its folio): one of them finds the data line

    as_dict = asdict


def page_shapes(document, classes: dict) -> list[PageShape]:
    return [_shape(page._page_box, classes) for page in document.pages]


def _shape(page_box, classes: dict) -> PageShape:
    top = page_box.content_box_y()
    height = page_box.height
    state = {"bottom": top, "last": None, "cards": 0, "lines": 0, "kind": "content", "first": []}
    headings = set(classes["heading"])
    card_classes = set(classes["card"])
    one_page = set(classes["one_page"])

    def visit(box, in_heading):
        if isinstance(box, boxes.MarginBox):
            return
        names = _classes(box)
        if box.element_tag == "section" and names & one_page:
            state["kind"] = next(iter(names & one_page))
        heading = in_heading or (box.element_tag in headings and isinstance(box, boxes.BlockBox))
        if isinstance(box, boxes.BlockBox) and names & card_classes:
            state["cards"] += 1
        ink = isinstance(box, boxes.ReplacedBox) or (isinstance(box, boxes.TextBox) and box.text.strip())
        if isinstance(box, boxes.TextBox) and len(state["first"]) < 8 and len(box.text.strip()) >= 2:
            state["first"].append(box.text.strip())
        if isinstance(box, boxes.LineBox) and any(isinstance(c, boxes.TextBox) or isinstance(c, boxes.InlineBox)
                                                   for c in box.children):
            state["lines"] += 1
        if ink or _tinted(box):
            bottom = box.border_box_y() + box.border_height() if not isinstance(box, boxes.TextBox) \
                else box.position_y + box.height
            if bottom > state["bottom"] + 0.5:
                state["bottom"] = bottom
                state["last"] = (box, heading)
        for child in getattr(box, "children", ()):
            child = getattr(child, "_box", child)
            if isinstance(child, boxes.Box):
                visit(child, heading)

    visit(page_box, False)
    fill = max(0.0, min(1.0, (state["bottom"] - top) / height)) if height else 0.0
    last = state["last"]
    stranded = bool(last and last[1])
    text = _text(last[0]) if stranded else ""
    return PageShape(round(fill, 3), stranded, state["cards"], state["lines"], state["kind"], text, tuple(state["first"]))


def _tinted(box) -> bool:
    if isinstance(box, (boxes.TextBox, boxes.LineBox, boxes.PageBox, boxes.InlineBox)) or \
            box.element_tag in ("html", "body", "section"):
        return False
    colour = box.style["background_color"]
    return getattr(colour, "alpha", 0) > 0


def _classes(box) -> set[str]:
    element = box.element
    return set((element.get("class") or "").split()) if element is not None and hasattr(element, "get") else set()


def _text(box) -> str:
    if isinstance(box, boxes.TextBox):
        return box.text
    return "".join(_text(c) for c in getattr(box, "children", ()) if isinstance(c, boxes.Box))[:30]


# ---------------------------------------------------------------- findings over the booklet


@dataclass(frozen=True)
class DesignReport:
    """The design check of one booklet: fill of each content page, and what sits badly."""

    fills: dict[int, float]  # page number → fill, for content pages (the last ones exempt: see review)
    findings: list[str]  # Chinese, each naming the page, its section and the data line

    def summary(self) -> str:
        if not self.fills:
            return "设计检查：没有内容页"
        values = sorted(self.fills.values())
        low_page = min(self.fills, key=self.fills.get)
        mean = sum(values) / len(values)
        return (f"设计检查：内容页 {len(values)} 页，版心平均填充 {mean:.0%}，最低 {values[0]:.0%}（第 {low_page} 页）；"
                f"{'发现 ' + str(len(self.findings)) + ' 处问题' if self.findings else '没有发现问题'}")


def review(parts: list, rules, locate) -> DesignReport:
    """Check the laid-out parts (tujie/parts.Part, in booklet order) against the layout's rules.

    Content pages are the section parts' pages. The last page of the body may
    end short (the report simply ends there): it is held to ``min_last_fill``
    instead of ``min_fill``, which still catches a block left over from the
    page before. Exempt: the data index (an appendix), cover, contents, notes
    and back cover.
    ``locate(page, text)`` turns a finding into a located Chinese message.
    """
    sections = [p for p in parts if p.name.startswith("section-")]
    fills: dict[int, float] = {}
    findings: list[str] = []
    last_body = max((p.start + p.pages - 1 for p in sections), default=0)
    for part in sections:
        for offset, shape in enumerate(part.shapes):
            number = part.start + offset
            if shape["kind"] != "content":
                continue
            fills[number] = shape["fill"]
            if shape["fill"] < rules.min_fill and number != last_body:
                findings.append(locate(number, shape.get("first"), f"版心只排到 {shape['fill']:.0%}，下方大半是空白"))
            elif shape["fill"] < rules.min_last_fill and number == last_body:
                findings.append(locate(number, shape.get("first"),
                                       f"正文最后一页只排到 {shape['fill']:.0%}，只有上一页排不下的一点内容"))
            if shape["last_is_heading"] and shape["fill"] > 0.5:
                findings.append(locate(number, shape["heading"], f"页面底部的标题“{shape['heading']}”和下面的内容分开了"))
            if shape["lines"] <= 2 and shape["cards"] <= 1 and number != last_body and shape["fill"] < 0.3:
                findings.append(locate(number, shape.get("first"), "这一页只有一行文字或一张卡片"))
    return DesignReport(fills, findings)
