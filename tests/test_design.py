"""The design system: every block type, any page size, pages that are neither clipped nor empty.

Checked on produced PDFs: the example reports in source/ (three page sizes,
every block type), random reports from tests/gen.py, and small reports made
for one rule each (a number that must step down, a table longer than a page,
a picture too coarse to print).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pdfplumber
import pytest
import yaml

from conftest import SOURCE, squash
from fill import page_fills
from gen import build_case
from tujie.build import PROJECT, Paths, build_report
from tujie.errors import ReportError
from tujie.load import load_report
from tujie.manifest import load_layout
from tujie.model import BLOCK_TYPES, ChartBlock, figures_in, walk

EXAMPLES = sorted(SOURCE.glob("*.yaml"))
LAYOUT = load_layout(PROJECT / "layouts", "booklet")


@pytest.fixture(scope="session")
def street_build(tmp_path_factory):
    return build_report(SOURCE / "sample-street-2025.yaml", Paths(output=tmp_path_factory.mktemp("street")),
                        editions=("screen",))


def test_examples_use_every_block_type_in_three_page_sizes():
    reports = [load_report(p) for p in EXAMPLES]
    used = {type(v).__name__ for r in reports for _, v in walk(r)}
    charts = {v.chart for r in reports for _, v in walk(r) if isinstance(v, ChartBlock)}
    assert {cls.__name__ for cls in BLOCK_TYPES.values()} <= used
    assert charts == set(ChartBlock.model_fields["chart"].annotation.__args__)
    assert len({r.page.size for r in reports}) >= 3


def _figure_shaped(data) -> int:
    """Figures in dumped data, found without the walker: mappings with the fields of a Figure."""
    if isinstance(data, dict):
        own = 1 if {"value", "label", "unit", "max", "year"} <= data.keys() else 0
        return own + sum(_figure_shaped(v) for v in data.values())
    if isinstance(data, list):
        return sum(_figure_shaped(v) for v in data)
    return 0


def test_every_block_types_figures_reach_report_figures():
    seen = set()
    for path in EXAMPLES:
        report = load_report(path)
        every = report.figures()
        for section in report.sections:
            for block in section.blocks:
                seen.add(block.type)
                found = dict(figures_in(block))
                assert len(found) == _figure_shaped(block.model_dump()), block.type
                assert all(every[fid] is fig for fid, fig in found.items()), block.type
    assert seen == set(BLOCK_TYPES)


def _content_pages(result) -> list[int]:
    """1-based pages of the section parts (the body), from the build's part page counts."""
    pages, page = [], 1
    for name, count in result.parts.items():
        if name.startswith("section-"):
            pages += list(range(page, page + count))
        page += count
    return pages


@pytest.mark.parametrize("which", ["default_build", "sample_build", "street_build"])
def test_example_pages_are_filled(which, request):
    result = request.getfixturevalue(which)
    report = load_report(SOURCE / f"{result.out_dir.name}.yaml")
    fills = page_fills(result.pdf, LAYOUT.margins_for(report.page.width_mm))
    body = _content_pages(result)
    low = {p: round(fills[p - 1], 2) for p in body[:-1] if fills[p - 1] < 0.60}
    assert not low, f"pages under 60 % of the type area: {low}"
    # the body may end on a short page, but not on a lone block (a closing quote) with white below it
    assert fills[body[-1] - 1] >= 0.3, f"last body page {body[-1]} filled to {fills[body[-1] - 1]:.0%}"
    if which == "default_build":
        mean = sum(fills[p - 1] for p in body) / len(body)
        assert mean >= 0.85, mean


def test_every_example_builds_with_its_design_checks(street_build, sample_build, default_build):
    for result in (street_build, sample_build, default_build):
        assert result.design.fills and not result.design.findings, result.design.findings


@pytest.mark.parametrize("seed", range(20))
def test_random_reports_build_without_overflow(seed, tmp_path):
    outcome = build_case(seed, tmp_path, small=True)
    assert outcome["ok"], outcome["error"]
    assert outcome["pages"] % 4 == 0


# ---------------------------------------------------------------- one rule each


def _tiny(tmp_path: Path, size: str, blocks: list[dict], **extra) -> Path:
    data = {"report": {"title": "工作报告", "district": "试验区", "year": 2025, "issuer": "试验区办公室",
                       "revision": {"label": tmp_path.name[-12:].replace("_", "-"), "date": "2026-12-02"}},
            "page": {"size": size}, "sections": [{"id": "s1", "title": "第一章", "blocks": blocks}], **extra}
    source = tmp_path / "tiny.yaml"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).replace("'2026-12-02'", "2026-12-02")
    source.write_text(text, encoding="utf-8")
    return source


def _build(source: Path):
    return build_report(source, Paths(output=source.parent / "out"), editions=("screen",))


def test_a_long_number_steps_down_instead_of_overflowing(tmp_path):
    figures = {f"k{i}": {"value": 99999.99 if i == 0 else 12, "unit": "万平方米", "label": f"指标{i}"} for i in range(8)}
    result = _build(_tiny(tmp_path, "A5", [{"type": "kpis", "figures": figures}]))  # an overflow would raise
    with pdfplumber.open(result.pdf) as pdf:
        sizes = {}
        for page in pdf.pages:
            for word in page.extract_words(extra_attrs=["size"]):
                sizes.setdefault(word["text"], word["size"])
    big = sizes["99999.99"]
    small = sizes["12"]
    assert big < small <= 26 * 1.01, (big, small)


def test_a_long_table_repeats_its_header_and_computes_rates(tmp_path):
    rows = [{"name": f"项目{i}", "target": 100 + i, "actual": 90 + i} for i in range(60)]
    table = {"type": "table", "title": "项目表", "rows": rows, "columns": [
        {"key": "name", "title": "项目名称"}, {"key": "target", "title": "计划", "unit": "万元"},
        {"key": "actual", "title": "完成", "unit": "万元"},
        {"key": "rate", "title": "完成率", "unit": "%", "compute": "actual / target"}]}
    result = _build(_tiny(tmp_path, "A5", [table]))
    with pdfplumber.open(result.pdf) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
        rate_x = [w["x1"] for p in pdf.pages for w in p.extract_words() if w["text"] in ("90.0", "99.2")]
    with_rows = [text for text in pages if "项目1" in text or "项目59" in text]
    assert len(with_rows) >= 2
    assert all("项目名称" in text and "完成率" in text for text in with_rows)
    assert "90.0" in pages[with_rows and pages.index(with_rows[0])]  # 90 ÷ 100
    assert len({round(x) for x in rate_x}) == 1, rate_x  # numbers right-aligned in their column


def test_timeline_runs_across_a_wide_page_and_down_a_narrow_one(tmp_path):
    milestones = [{"when": f"{q}季度", "text": f"完成第{q}项工作。"} for q in "一二三四"]
    xs = {}
    for size in ("A4", "A5"):
        folder = tmp_path / size
        folder.mkdir()
        result = _build(_tiny(folder, size, [{"type": "timeline", "milestones": milestones}]))
        with pdfplumber.open(result.pdf) as pdf:
            xs[size] = [w["x0"] for p in pdf.pages for w in p.extract_words() if w["text"].endswith("季度")]
    assert len(set(round(x) for x in xs["A4"])) == 4  # side by side
    assert len(set(round(x) for x in xs["A5"])) == 1  # one under another


def _png(path: Path, width: int, height: int) -> None:
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_images_are_placed_checked_for_resolution_and_kept_inside(tmp_path):
    _png(tmp_path / "sharp.png", 1800, 900)
    _png(tmp_path / "coarse.png", 300, 150)
    ok = _build(_tiny(tmp_path, "A5", [{"type": "image", "src": "sharp.png", "caption": "项目全景", "alt": "项目全景照片"}]))
    with pdfplumber.open(ok.pdf) as pdf:
        assert any(p.images for p in pdf.pages)
        assert any("项目全景" in (p.extract_text() or "") for p in pdf.pages)
    coarse = _tiny(tmp_path, "A5", [{"type": "image", "src": "coarse.png", "caption": "项目全景", "alt": "照片"}])
    with pytest.raises(ReportError) as caught:
        _build(coarse)
    assert "dpi" in str(caught.value) and "第" in str(caught.value) and "src" in str(caught.value)
    outside = _tiny(tmp_path, "A5", [{"type": "image", "src": "../sharp.png", "caption": "外面", "alt": "外面"}])
    with pytest.raises(ReportError) as caught:
        _build(outside)
    assert "项目文件夹以内" in str(caught.value)


def test_a_second_layout_is_a_folder_with_a_manifest(tmp_path):
    """layouts/jianyue extends the booklet layout: its own colours reach the page, its rules are inherited."""
    jianyue = load_layout(PROJECT / "layouts", "jianyue")
    assert jianyue.extends == "booklet" and jianyue.grid == LAYOUT.grid
    brand = jianyue.theme.colors["brand"].rgb
    assert brand != LAYOUT.theme.colors["brand"].rgb
    result = _build(_tiny(tmp_path, "B5", [{"type": "lead", "text": "简约版的导语。"}], layout="jianyue"))
    wanted = tuple(int(brand[i:i + 2], 16) / 255 for i in (1, 3, 5))
    with pdfplumber.open(result.pdf) as pdf:
        fills = {tuple(round(v, 3) for v in r["non_stroking_color"]) for r in pdf.pages[0].rects
                 if r.get("non_stroking_color") and len(r["non_stroking_color"]) == 3}
    assert tuple(round(v, 3) for v in wanted) in fills, fills


def test_a_mostly_empty_page_is_a_design_finding_and_fails_when_asked(tmp_path):
    """A chart too tall for the room under a short lead leaves the page a third full: with
    checks.design: fail the build stops, naming the page and the data line; by default it warns."""
    figures = {f"v{i}": {"value": 10 + i, "unit": "%", "label": f"第{i}项指标", "max": 100} for i in range(19)}
    blocks = [{"type": "lead", "text": "本章先用一句话说明全年情况。"},
              {"type": "chart", "chart": "bars", "title": "各项指标（%）", "figures": list(figures), "alt": "各项指标的数值。"},
              {"type": "kpis", "title": "指标数值", "figures": figures}]
    warned = _build(_tiny(tmp_path, "A5", blocks))
    assert warned.design.findings and any("版心只排到" in f for f in warned.design.findings)
    strict = tmp_path / "strict"
    strict.mkdir()
    with pytest.raises(ReportError) as caught:
        _build(_tiny(strict, "A5", blocks, checks={"design": "fail"}))
    message = str(caught.value)
    assert "设计检查" in message and "第 3 页" in message and "行" in message, message


def test_a_closing_quote_keeps_the_block_before_it_on_its_page(street_build):
    """The street example's last section ends with a quote that does not fit below its chart: the chart goes
    over with it instead of leaving the quote alone at the top of the last body page."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(street_build.pdf))
    pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    quote = next(i for i, text in enumerate(pages) if "当作街道的" in squash(text))
    assert "2026年增长目标与力争值" in squash(pages[quote]), pages[quote][:200]


def test_a_figure_labelled_with_its_year_is_not_titled_with_it_twice():
    from tujie.model import Figure

    assert Figure(value=68.2, unit="亿元", label="2021年", year=2021).titled == "2021年"
    assert Figure(value=1, label="地区生产总值", year=2021).titled == "2021年 地区生产总值"
    assert Figure(value=1, label="地区生产总值").titled == "地区生产总值"


def test_index_rows_that_would_read_the_same_name_their_block():
    """Two series labelled only by year (the street example's GDP and tax rankings): each index row says
    which; a figure whose label is its own stays as it is."""
    report = load_report(SOURCE / "sample-street-2025.yaml")
    labels = report.sections[0].index_labels()
    assert labels["gdp_2021"] == "历年地区生产总值 · 2021年" and labels["tax_2021"] == "历年税收收入 · 2021年"
    assert len(set(labels.values())) == len(labels)
    unchanged = [fid for fid, f in report.sections[0].figures() if labels[fid] == f.titled]
    assert len(unchanged) == len(labels) - 8


def test_the_booklets_index_shows_those_labels(street_build):
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(street_build.pdf))
    index = next(squash(doc[i].get_textpage().get_text_range()) for i in range(len(doc))
                 if "数据一览" in squash(doc[i].get_textpage().get_text_range())
                 and "历年" in doc[i].get_textpage().get_text_range())
    assert "历年地区生产总值·2021年" in index and "历年税收收入·2021年" in index, index[:300]
    assert "2021年2021年" not in index


def test_a_last_body_page_holding_a_leftover_block_is_a_design_finding(tmp_path):
    """The body's last page may end short, but not with one block the page before could not hold: the
    street example laid out without the closing-quote rule ends on its quote alone (fill under 30 %)."""
    import shutil

    layouts = tmp_path / "layouts"
    shutil.copytree(PROJECT / "layouts", layouts)
    css = layouts / "booklet" / "style.css.j2"
    css.write_text(css.read_text(encoding="utf-8").replace(".quote:last-child { break-before: avoid; }", ""),
                   encoding="utf-8")
    result = build_report(SOURCE / "sample-street-2025.yaml", Paths(output=tmp_path / "out", layouts=layouts),
                          editions=("screen",))
    findings = [f for f in result.design.findings if "正文最后一页只排到" in f]
    assert len(findings) == 1 and "第 11 页" in findings[0], result.design.findings
