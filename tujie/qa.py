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

    as_dict = asdict


def page_shapes(document, classes: dict) -> list[PageShape]:
    return [_shape(page._page_box, classes) for page in document.pages]


def _shape(page_box, classes: dict) -> PageShape:
    top = page_box.content_box_y()
    height = page_box.height
    state = {"bottom": top, "last": None, "cards": 0, "lines": 0, "kind": "content"}
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
    return PageShape(round(fill, 3), stranded, state["cards"], state["lines"], state["kind"], text)


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
