"""The web edition, read back from the files the build wrote (the browser tests are in test_browser.py)."""

from __future__ import annotations

import html.parser
import io
import re
from typing import Literal

from fontTools.ttLib import TTFont

from tujie.build import PROJECT
from tujie.check import check_web, web_references
from tujie.model import Strict, Text
from tujie.theme import load_theme
from tujie.web import page_characters, render_page, web_charts


class Outline(html.parser.HTMLParser):
    """The tags of a page, with the text inside each figcaption and table."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.open: list[str] = []
        self.captions: list[str] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("figcaption", "td", "th"):
            self.open.append(tag)
            (self.captions if tag == "figcaption" else self.cells).append("")

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data):
        if self.open:
            (self.captions if self.open[-1] == "figcaption" else self.cells)[-1] += data


def web_page(build) -> str:
    return build.files["web"].read_text(encoding="utf-8")


def outline(page: str) -> Outline:
    parsed = Outline()
    parsed.feed(page)
    return parsed


def test_web_edition_is_a_light_self_contained_folder(default_build):
    folder = default_build.files["web"].parent
    assert folder == default_build.out_dir / "web"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files[0] == "fonts/noto-sans-sc-400.woff2" and "index.html" in files
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) <= 2 * 1024 * 1024
    page = web_page(default_build)
    refs = [r for r in web_references(page) if not r.startswith("#")]
    # the page's only references are its own font files, each of them used
    assert sorted(set(refs)) == [f for f in files if f != "index.html"]
    assert "<script" not in page and "http://" not in page.split("</style>", 1)[1].replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert all(f.ok for f in check_web(folder, 2 * 1024 * 1024))


def test_web_fonts_are_woff2_subsets_of_exactly_the_characters_shown(default_build):
    folder = default_build.files["web"].parent
    shown = {ord(ch) for ch in page_characters(web_page(default_build))}
    assert len(shown) > 500
    for path in sorted((folder / "fonts").glob("*.woff2")):
        assert path.read_bytes()[:4] == b"wOF2"
        with TTFont(path) as font:
            assert set(font.getBestCmap()) == shown, path.name


def test_web_page_is_semantic(default_build):
    report = default_build.report
    page = web_page(default_build)
    parsed = outline(page)
    tags = [tag for tag, _ in parsed.tags]
    assert parsed.tags[0] == ("html", {"lang": "zh-CN"})
    assert tags.count("h1") == 1 and tags.count("main") == 1 and "nav" in tags
    assert tags.count("h2") >= len(report.sections) + 1
    charts = [b for s in report.sections for b in s.blocks if b.type == "chart"]
    # each chart a figure: an inline SVG image labelled by a caption holding its title and alt text
    assert tags.count("figure") == len(charts) == len(parsed.captions)
    for chart, caption in zip(charts, parsed.captions):
        assert chart.title in caption and chart.alt in caption
    svgs = [attrs for tag, attrs in parsed.tags if tag == "svg" and attrs.get("role") == "img"]
    ids = {attrs["id"] for tag, attrs in parsed.tags if tag == "figcaption"}
    assert len(svgs) == len(charts) and all(attrs["aria-labelledby"] in ids for attrs in svgs)
    # the data index: one real table per section with figures, every figure a row
    figures = report.figures()
    assert tags.count("table") == sum(1 for s in report.sections if s.figures())
    assert tags.count("tr") == len(figures) + tags.count("table")  # a header row each
    cells = "".join(parsed.cells)
    for figure in figures.values():
        assert figure.display + figure.unit in cells
    ids = [attrs["id"] for _, attrs in parsed.tags if "id" in attrs]
    assert len(ids) == len(set(ids))  # chart ids are prefixed, never repeated
    assert "@media print" in page and "@media (min-width" in page


def test_charts_use_the_booklet_colours_and_font(default_build):
    page = web_page(default_build)
    theme = load_theme(PROJECT / "layouts" / "booklet")
    svg = "".join(re.findall(r"<svg [^>]*role=\"img\".*?</svg>", page, re.S))
    colours = set(re.findall(r"fill: (#[0-9a-f]{6})", svg))
    assert {theme.color("river"), theme.color("accent"), theme.color("brand")} <= colours
    assert "font-family: 'Noto Sans SC'" in svg and "<text" in svg
    assert "*{stroke-linejoin" not in page  # matplotlib's page-wide style is not carried into the page


class MadeUpBlock(Strict):
    """A block type the web layout has no partial for (as when model.py gains one)."""

    type: Literal["made_up"]
    title: str
    items: list[Text]
    notes: list[str] = []


def test_a_block_type_without_a_partial_shows_all_its_text(default_build):
    report = default_build.report
    kpis = MadeUpBlock(type="made_up", title="新的数字块", notes=["第一条说明", "第二条说明"], items=[
        Text(text="研发投入{rd}", figures={"rd": {"value": 12.5, "unit": "亿元", "label": "研发投入"}})])
    section = report.sections[0].model_copy(update={"blocks": [kpis, *report.sections[0].blocks]})
    patched = report.model_copy(update={"sections": [section, *report.sections[1:]]})
    theme = load_theme(PROJECT / "layouts" / "booklet")
    charts = web_charts(patched, theme, PROJECT / "layouts", PROJECT / "fonts", None)
    page, unsupported = render_page(patched, theme, charts, PROJECT / "layouts" / "web")
    assert unsupported == ["made_up"]
    generic = page.split('class="block generic block-made_up"', 1)[1].split("</div>", 1)[0]
    for text in ("新的数字块", "第一条说明", "第二条说明", "研发投入<b class=\"fig\">12.5亿元</b>"):
        assert text in generic


def test_web_fonts_are_compressed_at_brotli_quality_10_into_the_same_font(monkeypatch):
    """tujie/web.py has fontTools' WOFF2 writer compress at quality 10 instead of 11 (a quarter
    of the time): the font inside is the same, the file hardly larger, and fontTools is left as it was."""
    import brotli
    from fontTools.ttLib import woff2

    from tujie import web

    font_path = PROJECT / "fonts" / "NotoSansSC-Regular.otf"
    chars = set("图解数据一览2025年地区生产总值亿元%（）")
    calls = []
    compress = brotli.compress
    monkeypatch.setattr(brotli, "compress", lambda data, **k: calls.append(k.get("quality")) or compress(data, **k))
    ours = web.subset_woff2(font_path, chars)
    assert calls == [10] and woff2.brotli is brotli
    monkeypatch.setattr(web, "BROTLI_QUALITY", 11)
    best = web.subset_woff2(font_path, chars)
    assert calls == [10, 11] and ours != best and len(ours) <= len(best) * 1.02

    def unpacked(data: bytes) -> bytes:
        with TTFont(io.BytesIO(data)) as font:
            font.flavor = None
            out = io.BytesIO()
            font.save(out, reorderTables=False)
            return out.getvalue()

    assert unpacked(ours) == unpacked(best)
