"""Teach the pinned WeasyPrint (70.0) to set Chinese text the way clreq asks.

WeasyPrint lays out text with Pango and draws each text box's glyphs itself.
Four things are missing for Chinese, and this module adds them by replacing
or wrapping a few WeasyPrint functions when :func:`install` is called:

* **Justification** (``inline.justify_line``, replaced). WeasyPrint only
  stretches U+0020 and U+00A0, so Chinese lines stay ragged. Here the extra
  space of a justified line goes to the gaps :func:`clreq.justification_gap`
  allows, inter-character gaps first and word spaces with lower priority.
  A gap between two text boxes moves the following boxes; a gap inside a box
  widens the glyph before it when the box is drawn (``draw_first_line``,
  wrapped). No character is ever added, so copied and extracted text is the
  source text.
* **Line breaking** (``Layout.set_text`` and ``get_log_attrs``, wrapped).
  Pango follows UAX #14, which lets ``·``, ``／`` or ``～`` start a line; the
  clreq prohibitions are added as Pango ``allow_breaks=false`` attributes
  inside a box, and removed from the break opportunities WeasyPrint looks up
  between boxes.
* **Punctuation compression** (``Layout.set_text``, wrapped): the marks
  :func:`clreq.compressed_marks` picks get the font's ``halt`` feature, so
  they are shaped at half width while laying out and drawing alike.
* **Han–Latin spacing** (``inline.split_text_box`` and ``text_align``,
  wrapped; ``block.iter_line_boxes`` wrapped to know the character before
  each box). A quarter em is reserved in the width of the box while the line
  is filled, then drawn as glyph width inside a box, or as a shift of the
  box when the Latin–Han boundary is between boxes, and dropped at a line
  start.

Each feature is switched per element by a CSS custom property named after
the CSS Text 3/4 property it stands for (WeasyPrint supports none of them;
upstream, these would become the real properties). Defaults come first:

* ``--text-justify: inter-character | inter-word`` (WeasyPrint's own);
* ``--line-break: strict | auto`` (Pango's UAX #14 alone);
* ``--text-spacing-trim: normal | space-all`` (no compression);
* ``--text-autospace: no-autospace | normal`` (¼ em Han–Latin spacing).

:data:`PINNED` holds a hash of the source of every WeasyPrint function that
is replaced, wrapped or relied upon; :func:`install` refuses to patch another
version, and ``tests/test_typography.py`` fails when a hash changes.

Known limits: Pango never breaks next to “ ” (UAX #14 rule LB19), which is
stricter than clreq, so a long run such as ``“（注）”——`` can only break by
``overflow-wrap`` in a very narrow column; compression sees one text box at
a time (a pair split by an inline element stays full width); Han–Latin
spacing is not applied to SVG text nor counted in min-/max-content widths;
only left-to-right lines are handled (right-to-left ones keep WeasyPrint's
own justification). PDF viewers guess a space where glyphs are far apart, so a
very loose justified line may copy with spaces although the PDF holds none.
"""

from __future__ import annotations

import hashlib
import inspect

import weasyprint
from weasyprint.draw import text as draw_text
from weasyprint.formatting_structure import boxes
from weasyprint.layout import block, inline
from weasyprint.text import line_break
from weasyprint.text.ffi import FROM_UNITS, TO_UNITS, ffi, pango
from weasyprint.text.fonts import get_pango_font_key

from ..errors import ReportError
from . import clreq

WEASYPRINT_VERSION = "70.0"

# sha256 of inspect.getsource() of each WeasyPrint function this module replaces or
# wraps, and of the two whose call order it relies on (get_next_linebox, draw_text).
PINNED = {
    "weasyprint.layout.inline.justify_line": "f83b21ff8793ba6b6dfc5fe8e10e4ab6cd6e02b17de02da97200902166148a81",
    "weasyprint.layout.inline.text_align": "e953d41b87ccfc30405f83f6cc3c73918ef4638662794db4f834b1d788d6ed67",
    "weasyprint.layout.inline.split_text_box": "8c564329599ef23fac6cc8c403768e9e51638226d87a8b2de69c49c9c5f408c8",
    "weasyprint.layout.inline.get_next_linebox": "67af458c2545e74f0803072103c6c5d392d5e353dfdaa4f5bac5a96e20ed024d",
    "weasyprint.layout.inline.iter_line_boxes": "04aec48abfcad809bc94c54eeba0e23a389e824cec85fe67bc1b21412d29dc3a",
    "weasyprint.text.line_break.Layout.set_text": "fe23ca9937dbf5205bda422f9c01103f301ef2c511228842632ea86e853274f7",
    "weasyprint.text.line_break.get_log_attrs": "65c1a1c4fa75ee95975fa01db9055b519bfcc205d3f70a3c4e81a906b8fbb429",
    "weasyprint.draw.text.draw_first_line": "1bb8eae6d88e71b17096a034656f3be17da8f1f513c78536c1c38d971927638b",
    "weasyprint.draw.text.draw_text": "ebaf96239c6ca3635d2b91bfb34718c2dcebd7809fec1c53fb8dffd1366befe3",
}

STRETCH_LIMIT = 0.5  # em per inter-character gap before word spaces share the stretch
AUTOSPACE = 0.25  # em between Han and Latin letters or digits

ffi.cdef("PangoAttribute * pango_attr_allow_breaks_new (gboolean allow_breaks);")
HALT = b"halt 1"


def _originals() -> dict[str, object]:
    return {
        "weasyprint.layout.inline.justify_line": inline.justify_line,
        "weasyprint.layout.inline.text_align": inline.text_align,
        "weasyprint.layout.inline.split_text_box": inline.split_text_box,
        "weasyprint.layout.inline.get_next_linebox": inline.get_next_linebox,
        "weasyprint.layout.inline.iter_line_boxes": inline.iter_line_boxes,
        "weasyprint.text.line_break.Layout.set_text": line_break.Layout.set_text,
        "weasyprint.text.line_break.get_log_attrs": line_break.get_log_attrs,
        "weasyprint.draw.text.draw_first_line": draw_text.draw_first_line,
        "weasyprint.draw.text.draw_text": draw_text.draw_text,
    }


def source_hash(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def changed_functions() -> list[str]:
    """Names of the pinned WeasyPrint functions whose source differs from :data:`PINNED`."""
    return [name for name, function in _ORIGINAL.items() if source_hash(function) != PINNED[name]]


# ---------------------------------------------------------------- settings


def setting(style, name: str, default: str) -> str:
    """The keyword of custom property ``--name`` on ``style`` (inherited), or ``default``."""
    try:
        tokens = style["__" + name.replace("-", "_")]
    except KeyError:  # SVG text styles are plain dicts without custom properties
        return default
    for token in tokens or ():
        if getattr(token, "type", None) == "ident":
            return token.lower_value
    return default


def _strict_breaks(style) -> bool:
    return setting(style, "line-break", "strict") != "auto"


def _trim(style) -> bool:
    return setting(style, "text-spacing-trim", "normal") != "space-all"


def _autospace(style) -> bool:
    return setting(style, "text-autospace", "no-autospace") != "no-autospace"


# ---------------------------------------------------------------- line breaking and compression


def _byte_offsets(text: str) -> list[int]:
    """UTF-8 offset of every character of ``text``, and of its end."""
    offsets, position = [0], 0
    for char in text:
        position += len(char.encode())
        offsets.append(position)
    return offsets


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Forbidden break positions → ranges of characters with no break inside."""
    ranges: list[list[int]] = []
    for i in indexes:
        if ranges and ranges[-1][1] == i:  # the previous range ends with character i
            ranges[-1][1] = i + 1
        else:
            ranges.append([i - 1, i + 1])
    return [(start, end) for start, end in ranges]


def _set_text(self, text, justify=False):
    """Layout.set_text, plus clreq break prohibitions and ``halt`` on compressed marks."""
    _ORIGINAL["weasyprint.text.line_break.Layout.set_text"](self, text, justify)
    text = self.text
    if len(text) < 2:
        return
    forbidden = clreq.forbidden_breaks(text) if _strict_breaks(self.style) else []
    halved = clreq.compressed_marks(text) if _trim(self.style) else []
    if not forbidden and not halved:
        return
    attr_list = pango.pango_layout_get_attributes(self.layout)
    if attr_list == ffi.NULL:
        attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    offsets = _byte_offsets(text)
    for start, end in _runs(forbidden):
        attr = pango.pango_attr_allow_breaks_new(False)
        attr.start_index, attr.end_index = offsets[start], offsets[end]
        pango.pango_attr_list_insert(attr_list, attr)
    for i in halved:
        attr = pango.pango_attr_font_features_new(HALT)
        attr.start_index, attr.end_index = offsets[i], offsets[i + 1]
        pango.pango_attr_list_insert(attr_list, attr)
    pango.pango_layout_set_attributes(self.layout, attr_list)


def _get_log_attrs(text, lang):
    """get_log_attrs (break opportunities between boxes), minus the clreq prohibitions."""
    log_attrs = _ORIGINAL["weasyprint.text.line_break.get_log_attrs"](text, lang)
    for i in clreq.forbidden_breaks(text):
        log_attrs[i].is_line_break = 0
    return log_attrs


# ---------------------------------------------------------------- moving boxes on a line


def _leaves(box):
    """In-flow text boxes and atomic inline boxes of a line, in order."""
    for child in box.children:
        if not child.is_in_normal_flow():
            continue
        if isinstance(child, (boxes.LineBox, boxes.InlineBox)):
            yield from _leaves(child)
        else:
            yield child


def _first_leaf(box):
    if not isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        return box
    return next(_leaves(box), None)


def _shift(box, dx: float, before: dict[int, float], grow: dict[int, float]) -> float:
    """Move ``box`` right by ``dx``, open ``before`` space ahead of leaves and widen them by ``grow``.

    Space before a leaf is opened ahead of the outermost inline box it starts, so
    backgrounds and underlines don't run into it. Return the shift for what follows.
    """
    first = _first_leaf(box)
    if first is not None:
        dx += before.pop(id(first), 0)
    if isinstance(box, boxes.TextBox):
        box.position_x += dx
        extra = grow.get(id(box), 0)
        box.width += extra
        return dx + extra
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += dx
        start = dx
        for child in box.children:
            if child.is_in_normal_flow():
                dx = _shift(child, dx, before, grow)
        box.width += dx - start
        return dx
    box.translate(dx, 0)  # an atomic inline-level box
    return dx


def _add_gap(box, index: int, amount: float) -> None:
    gaps = getattr(box, "tujie_gaps", None) or {}
    gaps[index] = gaps.get(index, 0) + amount
    box.tujie_gaps = gaps


# ---------------------------------------------------------------- Han–Latin spacing


def _iter_line_boxes(context, box, *args, **kwargs):
    """block.iter_line_boxes, after noting on each text box the character before it."""
    if not getattr(box, "tujie_annotated", False):
        previous = None
        for leaf in _leaves(box):
            if isinstance(leaf, boxes.TextBox):
                leaf.tujie_previous = previous
                previous = leaf.text[-1] if leaf.text else previous
            else:
                previous = None
        box.tujie_annotated = True
    return _ORIGINAL["weasyprint.layout.inline.iter_line_boxes"](context, box, *args, **kwargs)


def _autospace_plan(box, previous: str | None) -> float:
    """Record the Han–Latin spaces of a new text box; return the width they take."""
    text, quarter = box.text, AUTOSPACE * box.style["font_size"]
    box.tujie_previous = previous
    box.tujie_lead = quarter if previous and clreq.autospace(previous, text[0]) else 0
    box.tujie_gaps = {i: quarter for i in range(len(text) - 1) if clreq.autospace(text[i], text[i + 1])}
    return box.tujie_lead + sum(box.tujie_gaps.values())


def _split_text_box(context, box, available_width, skip, is_line_start=True):
    """split_text_box, reserving room for Han–Latin spaces when text-autospace is on."""
    split = _ORIGINAL["weasyprint.layout.inline.split_text_box"]
    result = split(context, box, available_width, skip, is_line_start)
    if result[0] is None or not _autospace(box.style):
        return result
    previous = box.text.encode()[:skip].decode()[-1:] or getattr(box, "tujie_previous", None)
    extra = _autospace_plan(result[0], previous)
    width = available_width
    for _ in range(3):  # the spaces may push the last characters to the next line
        if width is None or result[0].width + extra <= available_width or width <= 0:
            break
        width -= extra
        shorter = split(context, box, width, skip, is_line_start)
        if shorter[0] is None:
            break
        result, extra = shorter, _autospace_plan(shorter[0], previous)
    result[0].width += extra
    return result


def _text_align(context, line, available_width, last):
    """text_align, after turning reserved Han–Latin space before boxes into a shift of the box.

    The space is dropped where the box starts the line.
    """
    before, grow = {}, {}
    for n, leaf in enumerate(_leaves(line)):
        lead = getattr(leaf, "tujie_lead", 0)
        if lead:
            before[id(leaf)] = lead if n else 0
            grow[id(leaf)] = -lead
            leaf.tujie_lead = 0
    if grow:
        _shift(line, 0, before, grow)
    return _ORIGINAL["weasyprint.layout.inline.text_align"](context, line, available_width, last)


# ---------------------------------------------------------------- justification


def _justify_line(context, line, extra_width):
    """Spread ``extra_width`` over the line's justification opportunities (clreq §3.8)."""
    if setting(line.style, "text-justify", "inter-character") == "inter-word" or line.style["direction"] == "rtl":
        return _ORIGINAL["weasyprint.layout.inline.justify_line"](context, line, extra_width)
    gaps = []  # (kind, leaf, index of the character before the gap, or -1 for the gap before the leaf)
    previous = None
    for leaf in _leaves(line):
        if not isinstance(leaf, boxes.TextBox) or not leaf.text:
            previous = None  # no stretching around images and inline blocks
            continue
        text = leaf.text
        if previous is not None and (kind := clreq.justification_gap(previous, text[0])):
            gaps.append((kind, leaf, -1))
        for i in range(len(text) - 1):
            if kind := clreq.justification_gap(text[i], text[i + 1]):
                gaps.append((kind, leaf, i))
        previous = text[-1]
    if not gaps:
        return
    shares = _shares(extra_width, [kind for kind, _, _ in gaps], line.style["font_size"])
    before, grow = {}, {}
    residue = 0.0
    for (kind, leaf, index), share in zip(gaps, shares):
        wanted = share + residue
        if index < 0:
            amount = wanted
            before[id(leaf)] = before.get(id(leaf), 0) + amount
        else:
            # glyph positions are written in thousandths of an em: round to that, carry the rest
            em = leaf.style["font_size"]
            amount = round(wanted * 1000 / em) * em / 1000
            _add_gap(leaf, index, amount)
            grow[id(leaf)] = grow.get(id(leaf), 0) + amount
        residue = wanted - amount
    _shift(line, 0, before, grow)


def _shares(extra: float, kinds: list[int], em: float) -> list[float]:
    """Stretch per gap: inter-character gaps first, up to a limit, then word spaces too."""
    chars = kinds.count(clreq.INTER_CHARACTER)
    spaces = len(kinds) - chars
    if not chars:
        return [extra / spaces] * len(kinds)
    limit = STRETCH_LIMIT * em
    if extra <= limit * chars or not spaces:
        per_char, per_space = extra / chars, 0.0
    else:
        rest = (extra - limit * chars) / len(kinds)
        per_char, per_space = limit + rest, rest
    return [per_char if kind == clreq.INTER_CHARACTER else per_space for kind in kinds]


# ---------------------------------------------------------------- drawing


def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """draw_first_line, after widening the glyphs before the box's justification and spacing gaps."""
    gaps = getattr(textbox, "tujie_gaps", None)
    if gaps and text_overflow != "ellipsis" and block_ellipsis == "none":
        layout = textbox.pango_layout
        # draw_first_line sets this too; setting it first keeps the lines we adjust
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        first_line, _ = layout.get_first_line()
        _widen_glyphs(first_line, layout.text, gaps)
    return _ORIGINAL["weasyprint.draw.text.draw_first_line"](stream, textbox, text_overflow, block_ellipsis, matrix)


def _widen_glyphs(first_line, text: str, gaps: dict[int, float]) -> None:
    """Add ``gaps[i]`` (CSS px) to the advance of the last glyph of character ``i``.

    draw_first_line writes each glyph's advance as a font width plus a kerning
    in thousandths of an em, truncated to an integer; the advance is chosen so
    that the truncated kerning is exactly the wanted number of thousandths.
    """
    offsets = _byte_offsets(text)
    wanted = {offsets[i + 1]: amount for i, amount in gaps.items() if amount and i + 1 < len(offsets)}
    if not wanted:
        return
    logical = ffi.new("PangoRectangle *")
    sizes = {}
    run = first_line.runs
    while run != ffi.NULL:
        glyph_item, run = run.data, run.next
        item, glyphs = glyph_item.item, glyph_item.glyphs
        if item.analysis.level % 2:
            continue  # right-to-left runs are left alone
        font = item.analysis.font
        if font not in sizes:
            sizes[font] = get_pango_font_key(font)[2]
        font_size = sizes[font]
        count, clusters = glyphs.num_glyphs, glyphs.log_clusters
        for i in range(count):
            if i + 1 < count and clusters[i + 1] == clusters[i]:
                continue  # not the last glyph of its cluster
            end = item.offset + (clusters[i + 1] if i + 1 < count else item.length)
            amount = wanted.get(end)
            info = glyphs.glyphs[i]
            if not amount or info.glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG or info.glyph == pango.PANGO_GLYPH_EMPTY:
                continue
            pango.pango_font_get_glyph_extents(font, info.glyph, ffi.NULL, logical)
            font_width = round(logical.width * 1000 * FROM_UNITS / font_size)
            x_offset = info.geometry.x_offset / font_size
            kerning = font_width + x_offset - info.geometry.width * 1000 * FROM_UNITS / font_size
            target = int(kerning) - round(amount * 1000 / font_size)
            target += 0.5 if target > 0 else -0.5 if target < 0 else 0
            info.geometry.width = round((font_width + x_offset - target) * font_size * TO_UNITS / 1000)


# ---------------------------------------------------------------- install


_ORIGINAL = _originals()
_REPLACEMENTS = [
    (inline, "justify_line", _justify_line),
    (inline, "text_align", _text_align),
    (inline, "split_text_box", _split_text_box),
    (block, "iter_line_boxes", _iter_line_boxes),
    (line_break.Layout, "set_text", _set_text),
    (line_break, "get_log_attrs", _get_log_attrs),
    (draw_text, "draw_first_line", _draw_first_line),
]


def install() -> None:
    """Patch WeasyPrint (idempotent). Raise ReportError if it is not the pinned version."""
    if installed():
        return
    if weasyprint.__version__ != WEASYPRINT_VERSION or changed_functions():
        raise ReportError(
            f"中文排版补丁只适用于 WeasyPrint {WEASYPRINT_VERSION}，当前是 {weasyprint.__version__}"
            f"（有变化的函数：{'、'.join(changed_functions()) or '无'}）。请运行 make 安装固定版本，"
            "或由开发者更新 tujie/typeset/patch.py 并重新核对其中的 PINNED。")
    for owner, name, replacement in _REPLACEMENTS:
        setattr(owner, name, replacement)


_SAVED = {(owner, name): getattr(owner, name) for owner, name, _ in _REPLACEMENTS}


def uninstall() -> None:
    """Put WeasyPrint's own functions back."""
    for owner, name, _ in _REPLACEMENTS:
        setattr(owner, name, _SAVED[owner, name])


def installed() -> bool:
    return all(getattr(owner, name) is replacement for owner, name, replacement in _REPLACEMENTS)
