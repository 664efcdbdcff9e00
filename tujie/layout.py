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
from dataclasses import dataclass
from pathlib import Path

import jinja2
from lucide.jinja import lucide
from markupsafe import Markup

from .model import Report
from .theme import Palette, Theme

CHINESE_NUMERALS = "〇一二三四五六七八九十"
PART_LINK = "tujie-dest:"  # a link from one part to an anchor in another


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (enough for ordinals of sections and lists)."""
    if n <= 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (CHINESE_NUMERALS[tens] if tens > 1 else "") + "十" + (CHINESE_NUMERALS[ones] if ones else "")


def index_columns(report: Report, columns: int = 2) -> list[list[tuple[int, object, list]]]:
    """The data index split into columns of about equal rows, never splitting a section.

    Done here rather than with CSS columns: WeasyPrint balances columns by
    laying them out again and again, which tripled this page's cost.
    """
    entries = [(n, s, s.figures()) for n, s in enumerate(report.sections, 1) if s.figures()]
    total = sum(len(figs) + 2 for _, _, figs in entries)
    split, rows = [[] for _ in range(columns)], 0
    for entry in entries:
        column = min(int(rows * columns / total), columns - 1) if total else 0
        split[column].append(entry)
        rows += len(entry[2]) + 2
    return split


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class Chart:
    """A drawn chart as the templates see it."""

    uri: str
    width_mm: float
    height_mm: float
    half: bool = False  # shares its row with the next or previous chart


def environment(layout_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(layout_dir)),
        autoescape=True,  # report text is data, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["lucide"] = lucide
    env.filters["numeral"] = chinese_numeral
    env.filters["two_digits"] = lambda n: f"{n:02d}"
    env.filters["svg_uri"] = svg_data_uri
    return env


class BookletHtml:
    """The booklet's HTML, whole or one part at a time, from templates compiled once.

    Charts are keyed by (section index, block index). One HTML serves every
    edition: colours are the theme's sRGB values (the print file maps them to
    CMYK while writing), ``bleed_mm`` is the print bleed (the screen file is
    cut at the trim), ``color_profile`` the CMYK ICC profile for the print
    file's output intent.
    """

    def __init__(self, report: Report, theme: Theme, charts: dict[tuple[int, int], Chart], layout_dir: Path,
                 font_files: dict[int, str], *, bleed_mm: float = 0, color_profile: str | None = None,
                 logo: str | None = None):
        env = environment(layout_dir)
        palette = Palette(theme)
        env.globals.update(c=palette, series=palette.series, logo=logo)
        self.css = env.get_template("style.css.j2").render(
            report=report, page=report.page, theme=theme, fonts=font_files, bleed_mm=bleed_mm,
            color_profile=color_profile)
        self.template = env.get_template("booklet.html.j2")
        self.context = dict(report=report, theme=theme, charts=charts, figures=report.figures(),
                            index_columns=index_columns(report))

    def render(self, *, notes_pages: int = 0, part: str | None = None, start_page: int = 1,
               page_of: dict[str, int] | None = None) -> str:
        """``notes_pages`` blank designed pages pad the booklet to a multiple of four before the
        back cover; ``part`` (None: the whole booklet), ``start_page`` and ``page_of`` (anchor →
        page number) are explained in the module docstring."""
        css = self.css
        if part:
            # the part's first page has the number and side it has in the booklet (odd pages are right-hand)
            side = "right" if start_page % 2 else "left"
            css += f"\n@page :first {{ counter-reset: page {start_page}; }}\nhtml {{ break-before: {side}; }}\n"
        return self.template.render(
            **self.context, css=css, notes_pages=notes_pages,
            shows=lambda name: part is None or part == name,
            href=lambda anchor: (PART_LINK if part else "#") + anchor,
            page_attr=lambda anchor: Markup(f' data-page="{page_of[anchor]}"') if page_of else "",
        )
