"""Run the whole pipeline for one report: load → figures → layout → PDF → editions → check.

This is the library entry point behind ``render.py``; it takes paths and
returns what it wrote, keeping no state between calls. Every file is made in
a staging folder and moved into ``output/<report>/`` only when all editions
were built and passed preflight, so a failed or interrupted build leaves the
last good files untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTFont

from . import editions as ed
from .check import Finding, check_paths
from .errors import ReportError
from .figures import chart_size, render_chart, setup_fonts
from .layout import Chart, render_html, svg_data_uri
from .load import load_report
from .model import ChartBlock, Report
from .pdf import harfbuzz_subset_available, paginate, write
from .theme import load_theme

PROJECT = Path(__file__).resolve().parent.parent
PAGE_MARGIN_MM = 18  # horizontal page margin of the booklet layout
EDITIONS = ("print", "screen", "image")
# Debian's libgs-common ships this CMYK profile; `make` installs it
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


@dataclass(frozen=True)
class Paths:
    """Where the project's inputs live (overridable for tests)."""

    fonts: Path = PROJECT / "fonts"
    layouts: Path = PROJECT / "layouts"
    output: Path = PROJECT / "output"
    cmyk_profile: Path = CMYK_PROFILE


@dataclass
class BuildResult:
    report: Report
    pages: int
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)  # edition name → main file
    charts: list[Path] = field(default_factory=list)
    thumbnails: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def pdf(self) -> Path:
        """The screen PDF if built, else the print PDF."""
        return self.files.get("screen") or self.files["print"]


def font_files(font_dir: Path) -> dict[int, str]:
    """weight → file URL of the bundled fonts, read from each file's OS/2 table."""
    files = {}
    for path in sorted(font_dir.glob("*.otf")):
        with TTFont(path, lazy=True) as font:
            files[font["OS/2"].usWeightClass] = path.resolve().as_uri()
    if not files:
        raise ReportError(f"在 {font_dir} 里没有找到字体文件（*.otf）")
    return files


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


def file_stem(source: Path, report: Report) -> str:
    """Output names carry the revision, so two printings are never confused."""
    return f"{source.stem}-{report.report.revision.label}"


def build_report(source: Path, paths: Paths = Paths(), editions: tuple[str, ...] = EDITIONS,
                 impose: bool = False) -> BuildResult:
    """Build the requested editions of one report into ``paths.output / <report name>/``."""
    if not harfbuzz_subset_available():
        print("警告：系统缺少 libharfbuzz-subset0，字体子集化会慢约 25 倍。请运行 make 安装。")
    unknown = set(editions) - set(EDITIONS)
    if unknown:
        raise ReportError(f"不认识的版本：{'、'.join(sorted(unknown))}（可选：print、screen、image）")
    report = load_report(source)
    layout_dir = paths.layouts / report.layout
    if not (layout_dir / "booklet.html.j2").is_file():
        raise ReportError(f"找不到版式“{report.layout}”（应在 {layout_dir}）", file=str(source), field="layout")
    if "print" in editions and not paths.cmyk_profile.is_file():
        raise ReportError(f"缺少印刷用的 CMYK 色彩配置文件 {paths.cmyk_profile}，请先运行 make 安装系统依赖")
    theme = load_theme(layout_dir)
    setup_fonts(paths.fonts)
    fonts = font_files(paths.fonts)
    content_width = report.page.width_mm - 2 * PAGE_MARGIN_MM
    drawn = draw_charts(report, theme, content_width)
    full_width = round(content_width, 1)
    cmyk_table = theme.rgb_to_cmyk()

    def charts_for(cmyk: bool) -> dict[tuple[int, int], Chart]:
        return {
            key: Chart(svg_data_uri(ed.svg_to_cmyk(svg, cmyk_table) if cmyk else svg), size.width_mm,
                       size.height_mm, half=size.width_mm < full_width)
            for key, (svg, size) in drawn.items()
        }

    roots = [paths.fonts, layout_dir, source.parent, paths.cmyk_profile.parent]

    def html_for(cmyk: bool, notes: int) -> str:
        return render_html(report, theme, charts_for(cmyk), layout_dir, fonts, cmyk=cmyk,
                           bleed_mm=report.page.bleed_mm if cmyk else 0, notes_pages=notes,
                           color_profile=paths.cmyk_profile.as_uri() if cmyk else None)

    name, stem = source.stem, file_stem(source, report)
    out_dir = paths.output / name
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        result = BuildResult(report, 0, out_dir)
        chart_dir = stage / "charts"
        chart_dir.mkdir()
        for (s, b), (svg, _) in drawn.items():
            chart_path = chart_dir / f"{report.sections[s].id}-{b + 1}.svg"
            chart_path.write_text(svg, encoding="utf-8")
            result.charts.append(chart_path)

        # lay out once to learn the page count, then pad to a multiple of four
        first_html = html_for(cmyk=False, notes=0)
        document = paginate(first_html, PROJECT, roots)
        notes = (-len(document.pages)) % 4
        screen_html = first_html if notes == 0 else html_for(cmyk=False, notes=notes)
        if notes:
            document = paginate(screen_html, PROJECT, roots)
        result.pages = len(document.pages)
        (stage / f"{name}.html").write_text(screen_html, encoding="utf-8")

        revised = dt.datetime.combine(report.report.revision.date, dt.time(), dt.timezone.utc)
        if "screen" in editions or "image" in editions:
            screen = stage / f"{stem}-screen.pdf"
            write(document, screen, variant="pdf/a-3a", attachments=[source], date=revised)
            result.files["screen"] = screen
        if "image" in editions:
            long_jpg = stage / f"{stem}-long.jpg"
            result.thumbnails = ed.long_image(screen, long_jpg, stage / "pages", stem)
            result.files["image"] = long_jpg
        if "print" in editions:
            raw = stage / f".{stem}-print-raw.pdf"
            write(paginate(html_for(cmyk=True, notes=notes), PROJECT, roots), raw, variant="pdf/x-4")
            printed = stage / f"{stem}-print.pdf"
            ed.finish_print(raw, printed, report.page.bleed_mm)
            raw.unlink()
            result.files["print"] = printed
            if impose:
                imposed = stage / f"{stem}-imposed.pdf"
                ed.impose(printed, imposed, report.page.size, report.page.bleed_mm)
                result.files["imposed"] = imposed
        if "screen" not in editions and "screen" in result.files:
            result.files.pop("screen").unlink()  # made only to draw the image edition

        result.findings = check_paths(list(result.files.values()))
        failed = [f for f in result.findings if not f.ok]
        if failed:
            raise ReportError("生成的文件没有通过检查：\n" + "\n".join(f"  {f}" for f in failed))
        _move_into_place(stage, out_dir, result)
        return result
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move_into_place(stage: Path, out_dir: Path, result: BuildResult) -> None:
    """Rename every staged file into the output folder (each rename is atomic)."""

    def moved(path: Path) -> Path:
        target = out_dir / path.relative_to(stage)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        return target

    for path in sorted(stage.rglob("*")):
        if path.is_file() and path.suffix not in (".pdf", ".jpg", ".png", ".svg"):
            moved(path)
    result.charts = [moved(p) for p in result.charts]
    result.thumbnails = [moved(p) for p in result.thumbnails]
    result.files = {k: moved(p) for k, p in result.files.items()}
    result.findings = [Finding(str(out_dir / Path(f.file).relative_to(stage)) if f.file.startswith(str(stage)) else f.file,
                               f.rule, f.ok, f.message) for f in result.findings]
    write_checksums(out_dir)


def write_checksums(out_dir: Path) -> Path:
    """SHA256SUMS beside the editions (``sha256sum -c`` format): identifies a printing."""
    lines = []
    for path in sorted(out_dir.rglob("*")):
        if path.is_file() and path.name != "SHA256SUMS" and not any(p.startswith(".") for p in path.relative_to(out_dir).parts):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{digest}  {path.relative_to(out_dir).as_posix()}\n")
    target = out_dir / "SHA256SUMS"
    tmp = out_dir / ".SHA256SUMS.tmp"
    tmp.write_text("".join(lines), encoding="utf-8")
    os.replace(tmp, target)
    return target
