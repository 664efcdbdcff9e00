"""Run the whole pipeline for one report: load → figures → layout → PDF.

This is the library entry point behind ``render.py``; it takes paths and
returns what it wrote, keeping no state between calls.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTFont

from .errors import ReportError
from .figures import chart_size, render_chart, setup_fonts
from .layout import Chart, render_html, svg_data_uri
from .load import load_report
from .model import ChartBlock, Report
from .pdf import harfbuzz_subset_available, write_pdf
from .theme import load_theme

PROJECT = Path(__file__).resolve().parent.parent
PAGE_MARGIN_MM = 18  # horizontal page margin of the booklet layout


@dataclass(frozen=True)
class Paths:
    """Where the project's inputs live (overridable for tests)."""

    fonts: Path = PROJECT / "fonts"
    layouts: Path = PROJECT / "layouts"
    output: Path = PROJECT / "output"


@dataclass
class BuildResult:
    report: Report
    pdf: Path
    pages: int
    html: Path
    charts: list[Path] = field(default_factory=list)


def font_files(font_dir: Path) -> dict[int, str]:
    """weight → file URL of the bundled fonts, read from each file's OS/2 table."""
    files = {}
    for path in sorted(font_dir.glob("*.otf")):
        with TTFont(path, lazy=True) as font:
            files[font["OS/2"].usWeightClass] = path.resolve().as_uri()
    if not files:
        raise ReportError(f"在 {font_dir} 里没有找到字体文件（*.otf）")
    return files


def draw_charts(report: Report, theme, content_width_mm: float) -> dict[tuple[int, int], tuple[str, object]]:
    figures = report.figures()
    drawn = {}
    for s, section in enumerate(report.sections):
        halves = paired_charts(section.blocks)
        for b, block in enumerate(section.blocks):
            if isinstance(block, ChartBlock):
                size = chart_size(block, content_width_mm, half=b in halves)
                drawn[(s, b)] = (render_chart(block, figures, theme, size), size)
    return drawn


def paired_charts(blocks) -> set[int]:
    """Indexes of charts that share a row: consecutive charts pair up two by two."""
    halves, run = set(), []
    for i, block in enumerate(list(blocks) + [None]):
        if isinstance(block, ChartBlock):
            run.append(i)
            continue
        halves.update(run[len(run) % 2 :])  # an odd chart out goes first, full width
        run = []
    return halves


def write_atomic(target: Path, data: bytes) -> None:
    """Write to a temporary file beside ``target`` and rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_report(source: Path, paths: Paths = Paths()) -> BuildResult:
    """Build one report's booklet PDF into ``paths.output / <report name>/``."""
    if not harfbuzz_subset_available():
        print("警告：系统缺少 libharfbuzz-subset0，字体子集化会慢约 25 倍。请运行 make 安装。")
    report = load_report(source)
    layout_dir = paths.layouts / report.layout
    if not (layout_dir / "booklet.html.j2").is_file():
        raise ReportError(f"找不到版式“{report.layout}”（应在 {layout_dir}）", file=str(source), field="layout")
    theme = load_theme(layout_dir)
    setup_fonts(paths.fonts)
    content_width = report.page.width_mm - 2 * PAGE_MARGIN_MM
    drawn = draw_charts(report, theme, content_width)
    full_width = round(content_width, 1)

    name = source.stem
    out_dir = paths.output / name
    chart_files = []
    charts = {}
    for (s, b), (svg, size) in drawn.items():
        chart_path = out_dir / "charts" / f"{report.sections[s].id}-{b + 1}.svg"
        write_atomic(chart_path, svg.encode("utf-8"))
        chart_files.append(chart_path)
        charts[(s, b)] = Chart(svg_data_uri(svg), size.width_mm, size.height_mm, half=size.width_mm < full_width)

    html = render_html(report, theme, charts, layout_dir, font_files(paths.fonts))
    html_path = out_dir / f"{name}.html"
    write_atomic(html_path, html.encode("utf-8"))

    pdf_path = out_dir / f"{name}-{report.report.revision.label}.pdf"
    tmp_pdf = out_dir / f".{pdf_path.name}.tmp"
    try:
        pages = write_pdf(html, PROJECT, [paths.fonts, layout_dir, source.parent], tmp_pdf)
        os.replace(tmp_pdf, pdf_path)
    finally:
        tmp_pdf.unlink(missing_ok=True)
    return BuildResult(report, pdf_path, pages, html_path, chart_files)
