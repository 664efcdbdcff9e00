"""The web (H5) edition: a self-contained static folder for reading on phones.

In: the validated Report, the booklet's theme (same colours), the bundled
fonts, and the report's charts drawn by tujie/figures.py at phone width.
Out: ``web/index.html`` (CSS inline, charts inline SVG with their alt text)
and ``web/fonts/*.woff2``, subsets of exactly the characters the page shows.
Nothing is fetched from outside the folder and no JavaScript is needed, so
the folder works from any web server or straight from file://.

Templates live in ``layouts/web/``: ``page.html.j2`` walks the sections and
includes ``blocks/<type>.html.j2`` for each block; a block type without a
partial there falls back to ``blocks/_generic.html.j2``, which shows every
text of the block (see layouts/web/README.md).
"""

from __future__ import annotations

import html.parser
import io
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from .errors import ReportError

CHART_WIDTH_MM = 84  # drawn this wide, shown at a phone's column width, so chart text stays legible
FONT_FILES = {400: "NotoSansSC-Regular.otf", 700: "NotoSansSC-Bold.otf", 900: "NotoSansSC-Black.otf"}
SKIPPED_FIELDS = {"type", "icon", "id", "figures", "bar", "stretch"}  # not shown by the generic partial


@dataclass(frozen=True)
class WebChart:
    svg: Markup  # inline SVG, ids prefixed, labelled by the figure's caption
    caption_id: str


@dataclass
class WebSite:
    """The rendered edition before it is written: the page and its font subsets."""

    html: str
    fonts: dict[str, bytes]  # file name under web/ → WOFF2 data
    unsupported: list[str]  # block types shown by the generic partial
    images: dict[str, bytes] = field(default_factory=dict)  # file name under web/ → a picture of an image block

    @property
    def size(self) -> int:
        return len(self.html.encode("utf-8")) + sum(map(len, self.fonts.values())) + sum(map(len, self.images.values()))

    @property
    def requests(self) -> int:
        """What a browser loads: the page, each font it uses (all of them are used) and each picture."""
        return 1 + len(self.fonts) + len(self.images)


def inline_svg(svg: str, prefix: str, caption_id: str) -> Markup:
    """A matplotlib SVG document made fit to sit in a page.

    The XML prolog and metadata go; ids get ``prefix`` (every chart has a
    ``figure_1``); the global ``*`` style matplotlib writes would restyle the
    whole page, so its two properties move onto the root; the fixed size in
    pt gives way to CSS (the viewBox keeps the proportions).
    """
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'<style type="text/css">\*\{[^}]*\}</style>\s*', "", svg)
    svg = re.sub(r"<defs>\s*</defs>\s*", "", svg)
    svg = re.sub(r'\bid="', f'id="{prefix}', svg)
    svg = re.sub(r'url\(#', f'url(#{prefix}', svg)
    svg = re.sub(r'href="#', f'href="#{prefix}', svg)
    svg = re.sub(r'<svg [^>]*?(viewBox="[^"]*")[^>]*>',
                 lambda m: f'<svg xmlns="http://www.w3.org/2000/svg" {m.group(1)} role="img" '
                           f'aria-labelledby="{caption_id}" focusable="false" '
                           f'style="stroke-linejoin: round; stroke-linecap: butt">', svg, count=1)
    return Markup(svg.strip())


def walk(node) -> list[tuple[str, object]]:
    """A block's content for the generic partial: ("text", Text), ("line", str) and ("list", [walks]).

    Goes through any pydantic model field by field, so a block type that has
    no partial of its own still shows every sentence and number.
    """
    from pydantic import BaseModel

    from .model import Text

    if isinstance(node, Text):
        out = [("text", node)]
    elif isinstance(node, str):
        return [("line", node)]
    elif isinstance(node, (list, tuple)):
        return [("list", [walk(item) for item in node])]
    elif not isinstance(node, BaseModel):
        return [("line", str(node))] if node is not None else []
    else:
        out = []
    for name in type(node).model_fields:
        if name in SKIPPED_FIELDS or (isinstance(node, Text) and name == "text"):
            continue
        out += walk(getattr(node, name))
    return out


def environment(layout_dir: Path, cache_dir: Path | None = None) -> jinja2.Environment:
    from .layout import chinese_numeral, compiled_templates

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(layout_dir)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=compiled_templates(cache_dir / "templates" if cache_dir else None))
    env.filters["numeral"] = chinese_numeral
    env.filters["two_digits"] = lambda n: f"{n:02d}"
    env.globals["walk"] = walk
    from . import icons

    env.globals["lucide"] = icons.svg
    return env


def block_partials(layout_dir: Path) -> set[str]:
    return {p.name.removesuffix(".html.j2") for p in (layout_dir / "blocks").glob("*.html.j2")
            if not p.name.startswith("_")}


def web_images(report, source_dir: Path | None) -> dict[str, tuple[str, bytes]]:
    """image block src → (file name under web/, its bytes); the files were checked by tujie/images.py."""
    import hashlib

    from .model import ImageBlock, walk

    found = {}
    for _, block in walk(report):
        if isinstance(block, ImageBlock) and source_dir is not None and block.src not in found:
            data = (source_dir / block.src).read_bytes()
            name = f"images/{hashlib.sha256(data).hexdigest()[:10]}{Path(block.src).suffix.lower()}"
            found[block.src] = (name, data)
    return found


def render_page(report, theme, charts: dict, layout_dir: Path, images: dict[str, str] | None = None,
                cache_dir: Path | None = None) -> tuple[str, list[str]]:
    """index.html for ``report``; also the block types that fell back to the generic partial."""
    from .theme import Palette

    env = environment(layout_dir, cache_dir)
    palette = Palette(theme)
    env.globals.update(c=palette, series=palette.series)
    known = block_partials(layout_dir)
    fonts = {weight: f"fonts/noto-sans-sc-{weight}.woff2" for weight in FONT_FILES}
    css = env.get_template("style.css.j2").render(theme=theme, fonts=fonts)
    labels = [s.index_labels() for s in report.sections]  # once a section: it walks the section's blocks
    entries = [(n, s, [(fid, f, labels[n - 1][fid]) for fid, f in s.figures()])
               for n, s in enumerate(report.sections, 1) if s.figures()]
    page = env.get_template("page.html.j2").render(
        report=report, theme=theme, css=Markup(css), charts=charts, index=entries, partials=known, images=images or {})
    unsupported = sorted({b.type for s in report.sections for b in s.blocks} - known)
    return page, unsupported


class _TextCollector(html.parser.HTMLParser):
    """The characters a page draws: its text, including SVG text, but not its CSS or attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chars: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chars.update(data)


def page_characters(page: str) -> set[str]:
    collector = _TextCollector()
    collector.feed(page)
    collector.close()
    return {ch for ch in collector.chars if not ch.isspace()} | {" "}


def subset_woff2(font_path: Path, chars: set[str]) -> bytes:
    """A WOFF2 subset of ``font_path`` holding exactly ``chars`` (and the glyphs their layout needs).

    HarfBuzz subsets (~0.05 s for a 10 MB CJK weight; fontTools' subsetter took ~1.2 s, which
    was most of a cold build's web edition); fontTools only wraps the result as WOFF2, copying the
    tables it does not need to read."""
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    face = hb.Face(hb.Blob.from_file_path(str(font_path)))
    wanted = hb.SubsetInput()
    wanted.unicode_set.update(ord(ch) for ch in chars)
    wanted.layout_feature_tag_set.invert()  # every feature: kerning, vertical forms, proportional digits
    wanted.name_id_set.update(range(7))  # the OFL copyright and the font names
    wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    subset = hb.subset(face, wanted)
    if subset is None:
        raise ReportError(f"网页字体子集化失败：{font_path.name}")
    font = TTFont(io.BytesIO(subset.blob.data), recalcBBoxes=False, recalcTimestamp=False)
    font.flavor = "woff2"
    buffer = io.BytesIO()
    with _brotli_quality(BROTLI_QUALITY):
        font.save(buffer, reorderTables=False)
    return buffer.getvalue()


# fontTools' WOFF2 writer compresses at Brotli's top quality, 11: 0.7-0.8 s for each CJK weight's
# subset, which made the web edition the last thing a first build waited for (2.9 s). Quality 10
# takes a quarter of that for files 0.6 % larger (default report: 288 -> 290 KB for three weights);
# quality 9 would be 9 % larger.
BROTLI_QUALITY = 10


@contextmanager
def _brotli_quality(quality: int):
    """fontTools' WOFF2 writer (pinned in requirements.txt) calls ``brotli.compress(data, mode=…)``
    through its module's ``brotli``; for the duration, that is Brotli at ``quality``."""
    import brotli
    from fontTools.ttLib import woff2

    class AtQuality:
        MODE_FONT, MODE_TEXT, MODE_GENERIC = brotli.MODE_FONT, brotli.MODE_TEXT, brotli.MODE_GENERIC
        decompress = staticmethod(brotli.decompress)

        @staticmethod
        def compress(data, **options):
            return brotli.compress(data, **{"quality": quality, **options})

    saved, woff2.brotli = woff2.brotli, AtQuality
    try:
        yield
    finally:
        woff2.brotli = saved


def cached_subset(font_path: Path, chars: set[str], cache_dir: Path | None) -> bytes:
    """:func:`subset_woff2`, kept in ``cache_dir`` by the font's digest and the characters (a
    revision of a figure seldom brings a new character)."""
    if cache_dir is None:
        return subset_woff2(font_path, chars)
    import hashlib

    from .digests import store_for

    key = hashlib.sha256(store_for(cache_dir).of(font_path) + f"brotli-{BROTLI_QUALITY}".encode()
                         + "".join(sorted(chars)).encode()).hexdigest()[:40]
    stored = cache_dir / "web-fonts" / f"{key}.woff2"
    if stored.is_file():
        os.utime(stored)  # recently used: kept when the cache is pruned
        return stored.read_bytes()
    from .build import _write_quietly  # the cache's one atomic, failure-tolerant write

    data = subset_woff2(font_path, chars)
    _write_quietly(stored, data)
    return data


def web_chart_plan(report, theme, layouts: Path, cache_dir: Path | None):
    """The phone-sized charts: those in the cache and those to draw (a tujie.build.ChartPlan)."""
    from .build import ChartPlan
    from .figures import ChartSize, chart_cache_key
    from .manifest import load_layout
    from .model import ChartBlock

    figures = report.figures()
    booklet = load_layout(layouts, report.layout)  # chart heights come from the booklet's manifest
    plan = ChartPlan({}, {}, [])
    for s, section in enumerate(report.sections):
        for b, block in enumerate(section.blocks):
            if isinstance(block, ChartBlock):
                items = len(block.labels) if block.series else len(block.figures)
                size = plan.sizes[(s, b)] = ChartSize(*booklet.chart_size(block.chart, items, CHART_WIDTH_MM, False))
                cached = cache_dir / "charts" / f"{chart_cache_key(block, figures, theme, size)}.svg" \
                    if cache_dir else None
                if cached and cached.is_file():
                    plan.cached[(s, b)] = cached.read_text(encoding="utf-8")
                else:
                    plan.missing.append((s, b, cached))
    return plan


def web_charts(report, theme, layouts: Path, font_dir: Path, cache_dir: Path | None) -> dict:
    """(section, block) → WebChart: every chart drawn full width at phone size (cached like the booklet's;
    the build has the charts' child process draw the missing ones into the cache beforehand)."""
    from .build import draw_missing_charts

    plan = web_chart_plan(report, theme, layouts, cache_dir)
    svgs = {**plan.cached, **draw_missing_charts(report, theme, plan, font_dir)}
    charts = {}
    for (s, b), svg in svgs.items():
        caption = f"chart-{report.sections[s].id}-{b + 1}"
        charts[(s, b)] = WebChart(inline_svg(svg, f"{caption}-", f"{caption}-caption"), f"{caption}-caption")
    return charts


def build_site(report, theme, layout_dir: Path, font_dir: Path, cache_dir: Path | None = None,
               source_dir: Path | None = None) -> WebSite:
    charts = web_charts(report, theme, layout_dir.parent, font_dir, cache_dir)
    pictures = web_images(report, source_dir)
    page, unsupported = render_page(report, theme, charts, layout_dir, {src: name for src, (name, _) in pictures.items()},
                                    cache_dir)
    chars = page_characters(page)
    fonts = {f"fonts/noto-sans-sc-{weight}.woff2": cached_subset(font_dir / name, chars, cache_dir)
             for weight, name in FONT_FILES.items()}
    return WebSite(page, fonts, unsupported, dict(pictures.values()))


def write_site(site: WebSite, folder: Path) -> list[Path]:
    """Write the edition into ``folder`` (index.html first); returns the files written."""
    files = [folder / "index.html"]
    files[0].parent.mkdir(parents=True, exist_ok=True)
    files[0].write_text(site.html, encoding="utf-8")
    for name, data in sorted({**site.fonts, **site.images}.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files.append(path)
    return files
