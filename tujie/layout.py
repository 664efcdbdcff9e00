"""Stage 3: lay the report out as HTML with Jinja2 (autoescaped) templates.

A layout is a folder in ``layouts/`` holding ``booklet.html.j2`` (the page
sequence), one partial per block type in ``blocks/``, ``style.css.j2`` (CSS
paged media, rendered with the theme and page size) and ``theme.yaml``.
Templates receive the validated :class:`Report`, the theme and the chart SVGs;
they contain no report content of their own.

The same template renders the whole booklet or one *part* of it (``front``:
cover and contents; ``section-N``; ``index``: the data index; ``end``: notes
pages and back cover), which tujie/parts.py lays out and caches separately. A part knows
the page it starts on, and the page numbers it cites are written in
(``page_of``) rather than looked up with ``target-counter()``, since the
pages they point to are in other parts. Links to other parts use the
``tujie-dest:`` scheme, which tujie/merge.py turns into named destinations.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import icons
from .fit import Measure
from .manifest import Layout
from .model import Report
from .theme import Palette

CHINESE_NUMERALS = "〇一二三四五六七八九十"
PART_LINK = "tujie-dest:"  # a link from one part to an anchor in another


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (enough for ordinals of sections and lists)."""
    if n <= 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (CHINESE_NUMERALS[tens] if tens > 1 else "") + "十" + (CHINESE_NUMERALS[ones] if ones else "")


INDEX_ROW_MM, INDEX_LINE_MM, INDEX_HEAD_MM, INDEX_TITLE_MM = 5.4, 3.7, 8.0, 26.0  # row, extra line, heading, title


def index_pages(report: Report, geometry: "Geometry", columns: int = 2) -> list[list[list[tuple]]]:
    """The data index as pages of columns of (section number, section, [(figure id, figure, label)]).

    Done here rather than with CSS columns: WeasyPrint balances columns by
    laying them out again and again, which tripled this page's cost. A column
    is an unbreakable inline block, so each holds what fits one page; a
    section split between columns repeats its heading. Row heights count the
    lines a long label wraps to (measured with the fonts). A single page is
    balanced between its columns.
    """
    width = geometry.width * 0.48

    def row(fig, label: str) -> float:
        used = geometry.measure.width_mm(label, 7.6) + geometry.measure.width_mm(fig.display + fig.unit, 7.6, 700) + 10
        lines = max(1, -int(-used // width))
        return INDEX_ROW_MM + (lines - 1) * INDEX_LINE_MM

    entries = []
    for n, s in enumerate(report.sections, 1):
        labels = s.index_labels()
        if labels:
            entries.append((n, s, [(fid, f, labels[fid], row(f, labels[fid])) for fid, f in s.figures()]))
    total = sum(INDEX_HEAD_MM + sum(h for *_, h in figs) for _, _, figs in entries)
    first = geometry.height - INDEX_TITLE_MM
    if total <= first * columns * 0.9:
        capacity = [total / columns + INDEX_HEAD_MM + INDEX_ROW_MM] * columns
        page, rest = _fill(entries, capacity)
        if not rest:
            return [page]
    pages, rest, height = [], entries, first
    while rest:
        page, rest = _fill(rest, [height * 0.94] * columns)
        pages.append(page)
        height = geometry.height
    return pages


def _fill(entries: list, capacities: list[float]) -> tuple[list[list[tuple]], list]:
    """Fill columns of the given heights from ``entries``; return them and what is left."""
    cols: list[list[tuple]] = [[] for _ in capacities]
    col, used = 0, 0.0
    queue = list(entries)
    while queue and col < len(cols):
        number, section, figs = queue[0]
        taken, room = [], capacities[col] - used - INDEX_HEAD_MM
        for item in figs:
            if item[-1] > room and (taken or used > 0):
                break
            taken.append(item)
            room -= item[-1]
        if not taken:
            col, used = col + 1, 0.0
            continue
        cols[col].append((number, section, [(fid, f, label) for fid, f, label, _ in taken]))
        used += INDEX_HEAD_MM + sum(h for *_, h in taken)
        left = figs[len(taken):]
        if left:
            queue[0] = (number, section, left)
            col, used = col + 1, 0.0
        else:
            queue.pop(0)
    return cols, queue


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class Chart:
    """A drawn chart as the templates see it."""

    uri: str
    width_mm: float
    height_mm: float
    half: bool = False  # shares its row with the next or previous chart


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept in memory and, given a folder, on disk; Jinja checks each against
    its source. A resident builder (tujie/warm.py) compiles each template once instead of once
    a build; a command-line build reads them from the cache folder instead of compiling the
    layout's dozen templates again (0.2-0.35 s of every fresh process)."""

    def __init__(self, directory: Path | None = None):
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            super().__init__(str(directory))
        self.directory = directory
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])
        elif self.directory is not None:
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket) -> None:
        code = bucket.bytecode_to_string()
        if self.directory is not None and self._code.get(bucket.key) != code:
            super().dump_bytecode(bucket)  # Jinja writes a temporary file and renames it
        self._code[bucket.key] = code


@functools.lru_cache(maxsize=8)
def compiled_templates(directory: Path | None = None) -> _CompiledTemplates:
    """The compiled-template cache for ``directory`` (None: this process's memory only)."""
    return _CompiledTemplates(directory)


def environment(layout_dirs: list[Path], cache_dir: Path | None = None) -> jinja2.Environment:
    """Templates looked up in the layout's folder, then in the folders it extends; compiled ones
    kept under ``cache_dir`` (the build's cache folder) when given."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in layout_dirs]),
        bytecode_cache=compiled_templates(cache_dir / "templates" if cache_dir else None),
        autoescape=True,  # report text is data, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["lucide"] = icons.svg
    env.filters["numeral"] = chinese_numeral
    env.filters["two_digits"] = lambda n: f"{n:02d}"
    env.filters["svg_uri"] = svg_data_uri
    return env


class Geometry:
    """Sizes the templates compute with: grid columns, card widths, big-number sizes.

    Everything comes from the layout's manifest and the page (tujie/manifest.py),
    so a template never spells a margin or a column count.
    """

    def __init__(self, layout: Layout, page, measure: Measure):
        self.layout, self.measure = layout, measure
        self.width = layout.type_width(page)  # type area, mm
        self.height = layout.type_height(page)
        self.margins = layout.margins_for(page.width_mm)
        self.gap = layout.grid.gap_mm

    def cols(self, count: int, within: float | None = None, wide: bool = False) -> int:
        minimum = self.layout.grid.wide_card_min_mm if wide else None
        return self.layout.columns(count, within or self.width, minimum)

    def cols_for(self, figures, within: float | None = None, padding: float = 7) -> int:
        """Columns for cards of these figures: as many as fit, fewer while the widest number
        would not fit its card even at the smallest size (a long value like 99999.99万平方米)."""
        figures = list(figures)
        cols = self.cols(len(figures), within)
        smallest = self.layout.grid.number_sizes_pt[-1:]
        while cols > 1 and any(self.number_pt(f, self.card_width(cols, within) - padding, smallest) is None
                               for f in figures):
            cols -= 1
        return cols

    def card_width(self, cols: int, within: float | None = None) -> float:
        return ((within or self.width) - self.gap * (cols - 1)) / cols

    def number_pt(self, fig, width_mm: float, sizes: list[float] | None = None) -> float:
        """The largest big-number size at which value, unit and qualifier fit ``width_mm``."""
        sizes = sizes or self.layout.grid.number_sizes_pt
        qualifier = fig.qualifier if fig.qualifier in QUALIFIERS_SHOWN else ""
        fixed = self.measure.width_mm(fig.unit, 10, 700) + self.measure.width_mm(qualifier, 8, 700) + 1.5
        for size in sizes:
            if self.measure.width_mm(fig.display, size, 900) + fixed <= width_mm:
                return size
        return None if len(sizes) == 1 else sizes[-1]  # one size asked for: None says it does not fit


QUALIFIERS_SHOWN = ("突破", "超过", "达到", "力争", "提高到", "力争突破", "以上", "以下", "以内")


class BookletHtml:
    """The booklet's HTML, whole or one part at a time, from templates compiled once.

    Charts are keyed by (section index, block index). One HTML serves every
    edition: colours are the theme's sRGB values (the print file maps them to
    CMYK while writing), ``bleed_mm`` is the print bleed (the screen file is
    cut at the trim), ``color_profile`` the CMYK ICC profile for the print
    file's output intent.
    """

    def __init__(self, report: Report, layout: Layout, charts: dict[tuple[int, int], Chart],
                 font_files: dict[int, str], *, bleed_mm: float = 0, color_profile: str | None = None,
                 assets: dict[str, str] | None = None, logo: str | None = None,
                 cache_dir: Path | None = None):
        theme = layout.theme
        env = environment(layout.dirs, cache_dir)
        palette = Palette(theme)
        geometry = Geometry(layout, report.page, Measure({w: _path_of(uri) for w, uri in font_files.items()}))
        env.globals.update(c=palette, series=palette.series, g=geometry, layout=layout, logo=logo)
        from .qr import qr_code

        qr = qr_code(report.report.web_url)
        self.css = env.get_template("style.css.j2").render(
            report=report, page=report.page, theme=theme, fonts=font_files, bleed_mm=bleed_mm,
            color_profile=color_profile, qr=qr)
        self.template = env.get_template("booklet.html.j2")
        self.context = dict(report=report, theme=theme, charts=charts, figures=report.figures(),
                            index_pages=index_pages(report, geometry), assets=assets or {}, qr=qr)

    def render(self, *, notes_pages: int = 0, part: str | None = None, start_page: int = 1,
               page_of: dict[str, int] | None = None, flow: frozenset[int] = frozenset(),
               sections: tuple[int, ...] | None = None) -> str:
        """``notes_pages`` blank designed pages pad the booklet to a multiple of four before the
        back cover; ``part`` (None: the whole booklet), ``start_page`` and ``page_of`` (anchor →
        page number) are explained in the module docstring. ``flow`` holds the sections that
        follow the previous one on the same page under a compact band instead of opening a new
        page; ``sections`` the sections a section part holds (tujie/parts.py).

        The whole booklet has its style sheet inline; a part has none: it is laid out with
        :meth:`stylesheets`, which a layout worker parses once rather than once per part."""
        held = set(sections or ())
        return self.template.render(
            **self.context, css=None if part else self.css, notes_pages=notes_pages, flow=flow,
            shows=lambda name: part is None or part == name,
            shows_section=lambda i: part is None or (part.startswith("section-") and i in held),
            href=lambda anchor: (PART_LINK if part else "#") + anchor,
            page_attr=lambda anchor: Markup(f' data-page="{page_of[anchor]}"') if page_of else "",
            page_no=lambda anchor: page_of[anchor] if page_of else "",
        )

    def stylesheets(self, start_page: int) -> tuple[str, str]:
        """A part's style sheets, in cascade order: the booklet's, then where the part starts."""
        # the part's first page has the number and side it has in the booklet (odd pages are right-hand)
        side = "right" if start_page % 2 else "left"
        return self.css, f"@page :first {{ counter-reset: page {start_page}; }}\nhtml {{ break-before: {side}; }}\n"


def _path_of(uri: str) -> Path:
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(uri).path))
