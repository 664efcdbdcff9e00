"""Run the whole pipeline for one report: load → figures → layout → parts → join → editions → check.

This is the library entry point behind ``render.py``; it takes paths and
returns what it wrote, keeping no state between calls except the content-keyed
cache in ``output/.cache`` and a build record beside each report's files.

* Every file is made in a staging folder and moved into ``output/<report>/``
  only when all editions were built and passed preflight, so a failed or
  interrupted build leaves the last good files untouched.
* A build whose inputs (data, layouts, fonts, code, options) are unchanged is
  a no-op; heavy libraries are imported only after that check, so it costs a
  fraction of a second.
* The booklet is laid out in parts (tujie/parts.py), each written once as a
  screen PDF and a print PDF and cached under a hash of its HTML; a revision
  lays out only the parts whose HTML changed, on all cores. The parts are
  joined per edition (tujie/merge.py); a forked child joins and finishes the
  print file while this process joins the screen PDF and draws the long image.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import ReportError

PROJECT = Path(__file__).resolve().parent.parent
PAGE_MARGIN_MM = 18  # horizontal page margin of the booklet layout
EDITIONS = ("print", "screen", "image")
# Debian's libgs-common ships this CMYK profile; `make` installs it
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
RECORD = ".build.json"  # what the last good build of a report was made from


@dataclass(frozen=True)
class Paths:
    """Where the project's inputs live (overridable for tests)."""

    fonts: Path = PROJECT / "fonts"
    layouts: Path = PROJECT / "layouts"
    output: Path = PROJECT / "output"
    cmyk_profile: Path = CMYK_PROFILE

    @property
    def cache(self) -> Path:
        return self.output / ".cache"


@dataclass
class BuildResult:
    report: object  # the validated Report (None for an unchanged no-op build)
    pages: int
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)  # edition name → main file
    charts: list[Path] = field(default_factory=list)
    thumbnails: list[Path] = field(default_factory=list)
    findings: list = field(default_factory=list)
    unchanged: bool = False  # nothing to do: inputs identical to the last build
    timings: dict[str, float] = field(default_factory=dict)  # stage → seconds
    parts: dict[str, int] = field(default_factory=dict)  # part of the booklet → its page count
    laid_out: int = 0  # parts laid out by this build (the others came from the cache)
    page_of: dict[str, int] = field(default_factory=dict)  # anchor (section, figure) → page number

    @property
    def pdf(self) -> Path:
        """The screen PDF if built, else the print PDF."""
        return self.files.get("screen") or self.files["print"]


# ---------------------------------------------------------------- no-op check


def _hash_files(digest, files) -> None:
    for path in sorted(files):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())


def fonts_digest(font_dir: Path) -> bytes:
    """A hash of the bundled fonts: what a glyph id in our PDFs stands for."""
    digest = hashlib.sha256()
    _hash_files(digest, list(font_dir.glob("*.otf")))
    return digest.digest()


def inputs_key(source: Path, paths: Paths, editions: tuple[str, ...], impose: bool, options: dict) -> str:
    """A hash of everything a build reads: data, layouts, fonts, code, profile and options."""
    digest = hashlib.sha256()
    digest.update(source.read_bytes())
    _hash_files(digest, list(source.parent.rglob("*.svg")))  # a logo the report names (tujie/brand.py)
    _hash_files(digest, [p for p in paths.layouts.rglob("*") if p.is_file()])
    _hash_files(digest, list(paths.fonts.glob("*.otf")))
    _hash_files(digest, [p for p in (PROJECT / "tujie").rglob("*.py")])
    _hash_files(digest, [PROJECT / "requirements.txt"])
    if paths.cmyk_profile.is_file():
        digest.update(paths.cmyk_profile.read_bytes())
    digest.update(json.dumps([sorted(editions), impose, options], sort_keys=True).encode())
    return digest.hexdigest()


def _read_record(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _unchanged(out_dir: Path, key: str) -> dict | None:
    record = _read_record(out_dir)
    if record.get("key") != key:
        return None
    if not all((out_dir / name).is_file() for name in record.get("files", {}).values()):
        return None
    return record


# ---------------------------------------------------------------- helpers


def font_files(font_dir: Path) -> dict[int, str]:
    """weight → file URL of the bundled fonts; ReportError naming the file if one is missing or damaged."""
    from .fonts import bundled

    return {weight: path.resolve().as_uri() for weight, path in bundled(font_dir).items()}


FULL_WIDTH_CHARTS = ("pairs", "targets")


def paired_charts(blocks) -> set[int]:
    """Indexes of charts that share a row: consecutive charts pair up two by two."""
    from .model import ChartBlock

    halves, run = set(), []
    for i, block in enumerate(list(blocks) + [None]):
        # a "pairs" chart is already two panels side by side: it always takes the full width
        if isinstance(block, ChartBlock) and block.chart not in FULL_WIDTH_CHARTS:
            run.append(i)
            continue
        halves.update(run[len(run) % 2 :])  # an odd chart out goes first, full width
        run = []
    return halves


@dataclass
class ChartPlan:
    """The charts of a report: those found in the cache, and those still to draw."""

    sizes: dict  # (section, block) → ChartSize
    cached: dict  # (section, block) → SVG text
    missing: list  # [(section, block, cache path or None)]


def plan_charts(report, theme, content_width_mm: float, cache_dir: Path | None = None) -> ChartPlan:
    """Size every chart and read those whose SVG is cached (keyed by data, style, size and code)."""
    from .figures import chart_cache_key, chart_size
    from .model import ChartBlock

    figures = report.figures()
    plan = ChartPlan({}, {}, [])
    for s, section in enumerate(report.sections):
        halves = paired_charts(section.blocks)
        for b, block in enumerate(section.blocks):
            if not isinstance(block, ChartBlock):
                continue
            size = plan.sizes[(s, b)] = chart_size(block, content_width_mm, half=b in halves)
            cached = cache_dir / "charts" / f"{chart_cache_key(block, figures, theme, size)}.svg" if cache_dir else None
            if cached and cached.is_file():
                plan.cached[(s, b)] = cached.read_text(encoding="utf-8")
                os.utime(cached)  # recently used: kept when the cache is pruned
            else:
                plan.missing.append((s, b, cached))
    return plan


def draw_missing_charts(report, theme, plan: ChartPlan, font_dir: Path) -> dict:
    """Draw the charts the cache lacks with matplotlib; store them in the cache."""
    from .figures import render_chart, setup_fonts

    figures = report.figures()
    drawn = {}
    if plan.missing:
        setup_fonts(font_dir)
    for s, b, cached in plan.missing:
        svg = drawn[(s, b)] = render_chart(report.sections[s].blocks[b], figures, theme, plan.sizes[(s, b)])
        if cached:
            _write_quietly(cached, svg.encode("utf-8"))
    return drawn


def draw_charts(report, theme, content_width_mm: float, font_dir: Path, cache_dir: Path | None = None) -> dict:
    """(section, block) → (SVG text, size) for every chart, drawn here or taken from the cache."""
    plan = plan_charts(report, theme, content_width_mm, cache_dir)
    return with_sizes(plan, draw_missing_charts(report, theme, plan, font_dir))


def with_sizes(plan: ChartPlan, drawn: dict) -> dict:
    svgs = {**plan.cached, **drawn}
    return {key: (svgs[key], size) for key, size in plan.sizes.items()}


CACHE_LIMIT_BYTES = 400 * 1024 * 1024


def prune_cache(cache_dir: Path, limit: int = CACHE_LIMIT_BYTES) -> None:
    """Delete the least recently used cache entries until the cache fits in ``limit`` bytes.

    Every revision adds the pages and charts it changed; without pruning the
    cache would grow for as long as the office keeps revising.
    """
    try:
        entries = [(p.stat().st_mtime, p.stat().st_size, p) for p in cache_dir.rglob("*") if p.is_file()]
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        path.unlink(missing_ok=True)
        total -= size


def _write_quietly(path: Path, data: bytes) -> None:
    """Write a cache entry atomically; a cache that cannot be written is only slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass


def file_stem(source: Path, report) -> str:
    """Output names carry the revision, so two printings are never confused."""
    return f"{source.stem}-{report.report.revision.label}"


@dataclass
class HtmlSpec:
    """Everything needed to render the booklet's HTML (one HTML for every edition)."""

    report: object
    theme: object
    drawn: dict
    layout_dir: Path
    fonts: dict
    cmyk_profile: Path | None  # the print file's output intent; None when no print file is made
    full_width: float
    logo: str | None = None  # the report's logo as a data URI (tujie/brand.py)

    @cached_property
    def _booklet(self):
        from .layout import BookletHtml, Chart, svg_data_uri

        charts = {
            key: Chart(svg_data_uri(svg), size.width_mm, size.height_mm, half=size.width_mm < self.full_width)
            for key, (svg, size) in self.drawn.items()
        }
        return BookletHtml(self.report, self.theme, charts, self.layout_dir, self.fonts,
                           bleed_mm=self.report.page.bleed_mm,
                           color_profile=self.cmyk_profile.as_uri() if self.cmyk_profile else None, logo=self.logo)

    def html(self, notes: int, page_of: dict | None = None, part: str | None = None, start: int = 1) -> str:
        """The whole booklet (``part`` None) or one part of it (tujie/parts.py)."""
        return self._booklet.render(notes_pages=notes, part=part, start_page=start, page_of=page_of)

    def part_html(self, name: str, start: int, page_of: dict | None) -> str:
        from .parts import END, notes_pages

        return self.html(notes_pages(start) if name == END else 0, page_of, part=name, start=start)


def toolchain_salt(paths: Paths, theme) -> bytes:
    """What a part's PDFs depend on besides its HTML: code, fonts, versions, CMYK values and profile."""
    digest = hashlib.sha256()
    _hash_files(digest, [p for p in (PROJECT / "tujie").rglob("*.py")])
    _hash_files(digest, [PROJECT / "requirements.txt"])
    digest.update(fonts_digest(paths.fonts))
    digest.update(json.dumps(theme.cmyk_table(), sort_keys=True).encode())
    if paths.cmyk_profile.is_file():
        digest.update(paths.cmyk_profile.read_bytes())
    return digest.digest()


def build_print_edition(part_files: list[Path], font_dir: Path, page, stage: Path, stem: str, impose: bool):
    """Join, finish and preflight the CMYK print file (and the imposed file).

    Runs in a forked child (tujie/forked.py) beside the screen edition, or
    in-process with ``parallel=False``. Returns the files and their findings.
    """
    from . import editions as ed
    from .check import Geometry, check_paths
    from .merge import merge_parts

    raw = stage / f".{stem}-print-raw.pdf"
    merge_parts(part_files, raw, font_dir)
    printed = stage / f"{stem}-print.pdf"
    ed.finish_print(raw, printed, page.bleed_mm)
    raw.unlink()
    files = {"print": printed}
    if impose:
        imposed = stage / f"{stem}-imposed.pdf"
        ed.impose(printed, imposed, ed.sheet_mm(page), page.bleed_mm)
        files["imposed"] = imposed
    return files, check_paths(list(files.values()), Geometry.of(page))


def lay_out_booklet(spec: HtmlSpec, salt: bytes, parts_dir: Path, roots: list[Path], source: Path,
                    cmyk_table: dict | None, allow_overflow: bool, parallel: bool, last: dict) -> tuple[list, int]:
    """Every part of the booklet, from the cache or laid out now, and how many were laid out.

    ``last`` is the last build's record: its page counts and page numbers are
    this build's first guesses (tujie/parts.py).
    """
    from .parts import lay_out_parts, part_names

    runner = PartRunner(salt, parts_dir, roots, cmyk_table, source, allow_overflow, parallel)
    try:
        laid = lay_out_parts(spec.part_html, part_names(spec.report), runner, last_counts=last.get("parts"),
                             last_page_of=last.get("page_of") if parallel else None)
    finally:
        runner.close()
    return laid, runner.laid_out


class PartRunner:
    """Turns [(part name, HTML, start page)] into parts: from the cache, or laid out now.

    With ``parallel``, two or more parts to lay out go to a pool of forked
    processes (one per core); a single part is laid out in this process.
    """

    def __init__(self, salt: bytes, cache_dir: Path, roots: list[Path], cmyk_table: dict | None,
                 source: Path, allow_overflow: bool, parallel: bool):
        self.salt, self.cache_dir, self.roots = salt, cache_dir, roots
        self.cmyk_table, self.source, self.allow_overflow = cmyk_table, source, allow_overflow
        self.parallel = parallel
        self.pool = None
        self.laid_out = 0  # parts laid out (not taken from the cache), reported as BuildResult.laid_out

    def __call__(self, items: list[tuple[str, str, int]], guesses: list[tuple[str, str, int]] = ()) -> list:
        """The parts for ``items``. ``guesses`` are laid out beside them when there is a spare
        core, so that a later call may find them in the cache; their failures do not matter."""
        from . import parts

        found, jobs = {}, []
        for name, html, start in [*items, *(guesses if self.parallel else ())]:
            key = parts.part_key(html, self.salt)
            hit = parts.cached(key, self.cache_dir, self.cmyk_table is not None)
            if hit:
                found[name] = hit
            else:
                jobs.append(parts.PartJob(name, html, key, start, self.cache_dir, PROJECT, self.roots,
                                          self.cmyk_table, self.source, self.allow_overflow))
        wanted = {name for name, _, _ in items}
        if len(jobs) > 1 and self.parallel:
            futures = [(job, self._pool().submit(parts.lay_out, job)) for job in jobs]
            for job, future in futures:
                # waits; the time limit or Ctrl-C, raised while waiting, is not the job's failure
                error = future.exception()
                if error is None:
                    found[job.name] = future.result()
                elif job.name in wanted:
                    raise error
        else:
            found.update((job.name, parts.lay_out(job)) for job in jobs)
        self.laid_out += len(jobs)
        return [found[name] for name, _, _ in items]

    def _pool(self):
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        if self.pool is None:
            # fork: workers inherit WeasyPrint, loaded and patched, instead of importing it again
            self.pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("fork"))
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- the build


def build_report(source: Path, paths: Paths = Paths(), editions: tuple[str, ...] = EDITIONS,
                 impose: bool = False, parallel: bool = True, force: bool = False,
                 allow_overflow: bool = False) -> BuildResult:
    """Build the requested editions of one report into ``paths.output / <report name>/``.

    ``parallel`` writes the print edition in a forked child; ``force``
    rebuilds even when nothing changed; ``allow_overflow`` turns layout
    overflow errors into warnings (tujie/overflow.py).
    """
    started = time.perf_counter()
    unknown = set(editions) - set(EDITIONS)
    if unknown:
        raise ReportError(f"不认识的版本：{'、'.join(sorted(unknown))}（可选：print、screen、image）")
    if not source.is_file():
        raise ReportError("找不到这个文件", file=str(source))
    out_dir = paths.output / source.stem
    key = inputs_key(source, paths, editions, impose, {"allow_overflow": True} if allow_overflow else {})
    record = None if force else _unchanged(out_dir, key)
    if record:
        return BuildResult(None, record["pages"], out_dir, {k: out_dir / v for k, v in record["files"].items()},
                           unchanged=True, timings={"no-op": time.perf_counter() - started})
    return _build(source, paths, editions, impose, parallel, key, out_dir, started, allow_overflow)


def _build(source, paths, editions, impose, parallel, key, out_dir, started, allow_overflow=False) -> BuildResult:
    from . import coverage, limits
    from .fonts import bundled as bundled_fonts
    from .forked import Forked
    from .load import load_report
    from .theme import load_theme

    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0) + now - since
        return now

    t = time.perf_counter()
    report = load_report(source)
    bundled_fonts(paths.fonts)  # a missing or damaged font file: say which and how to fix it, before anything reads it
    # issue 5: before any layout, refuse characters the fonts lack and texts long enough to run away
    coverage.check_characters(report, source, paths.fonts)
    limits.check_content(report, source)
    layout_dir = paths.layouts / report.layout
    if not (layout_dir / "booklet.html.j2").is_file():
        raise ReportError(f"找不到版式“{report.layout}”（应在 {layout_dir}）", file=str(source), field="layout")
    if "print" in editions and not paths.cmyk_profile.is_file():
        raise ReportError(f"缺少印刷用的 CMYK 色彩配置文件 {paths.cmyk_profile}，请先运行 make 安装系统依赖")
    from . import brand

    # issue 12: the report's own brand colours and logo over the layout's palette, and readable on it
    theme = load_theme(layout_dir).with_report(report, paths.cmyk_profile)
    for warning in brand.check_contrast(theme, report, source):
        print(warning, file=sys.stderr)
    logo = brand.logo_uri(report, source)
    t = lap("load", t)
    content_width = report.page.width_mm - 2 * PAGE_MARGIN_MM
    plan = plan_charts(report, theme, content_width, paths.cache)
    # charts the cache lacks are drawn by a forked child while this process imports WeasyPrint
    # (matplotlib and WeasyPrint each take ~0.7 s just to import)
    charts_job = Forked(draw_missing_charts, report, theme, plan, paths.fonts, what="图表") \
        if plan.missing and parallel else None

    # heavy imports here, after the no-op check
    from . import editions as ed
    from .check import Finding, Geometry, check_paths
    from .pdf import harfbuzz_subset_available

    if not harfbuzz_subset_available():
        print("警告：系统缺少 libharfbuzz-subset0，字体子集化会慢约 25 倍。请运行 make 安装。")
    drawn = with_sizes(plan, charts_job.result() if charts_job else
                       draw_missing_charts(report, theme, plan, paths.fonts))
    t = lap("charts (+ imports)", t)
    spec = HtmlSpec(report, theme, drawn, layout_dir, font_files(paths.fonts),
                    paths.cmyk_profile if "print" in editions else None, round(content_width, 1), logo)
    roots = [paths.fonts, layout_dir, source.parent, paths.cmyk_profile.parent]

    name, stem = source.stem, file_stem(source, report)
    out_dir.mkdir(parents=True, exist_ok=True)
    guard = limits.OutputGuard(out_dir)  # issue 5: one build per folder at a time; clears killed builds' stages
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        result = BuildResult(report, 0, out_dir)
        for (s, b), (svg, _) in drawn.items():
            chart_path = stage / "charts" / f"{report.sections[s].id}-{b + 1}.svg"
            chart_path.parent.mkdir(exist_ok=True)
            chart_path.write_text(svg, encoding="utf-8")
            result.charts.append(chart_path)

        # the booklet in parts: only parts whose HTML changed are laid out again (tujie/parts.py)
        from .merge import merge_parts
        from .parts import END, notes_pages

        parts_dir = paths.cache / "parts"
        laid, result.laid_out = lay_out_booklet(spec, toolchain_salt(paths, theme), parts_dir, roots, source,
                                                theme.cmyk_table() if "print" in editions else None,
                                                allow_overflow, parallel, _read_record(out_dir))
        for warning in (w for p in laid for w in p.warnings):
            print(warning, file=sys.stderr)
        result.pages = sum(p.pages for p in laid)
        result.parts = {p.name: p.pages for p in laid}
        limits.check_page_count(result.pages, source)
        # the whole booklet's final HTML, kept for inspection and the benchmark's floor
        page_of = result.page_of = {anchor: page for p in laid for anchor, page in p.anchors.items()}
        notes = notes_pages(next(p.start for p in laid if p.name == END))
        (stage / f"{name}.html").write_text(spec.html(notes, page_of), encoding="utf-8")
        t = lap("layout", t)

        print_job = None
        if "print" in editions:
            args = ([p.pdf(parts_dir, "print") for p in laid], paths.fonts, report.page, stage, stem, impose)
            print_job = Forked(build_print_edition, *args) if parallel else args

        revised = _revision_datetime(report)
        if "screen" in editions or "image" in editions:
            screen = stage / f"{stem}-screen.pdf"
            merge_parts([p.pdf(parts_dir, "screen") for p in laid], screen, paths.fonts,
                        attachments=[source], date=revised)
            result.files["screen"] = screen
            t = lap("join (screen)", t)
        if "image" in editions:
            long_jpg = stage / f"{stem}-long.jpg"
            result.thumbnails = ed.long_image(screen, long_jpg, stage / "pages", stem, cache_dir=paths.cache / "pages",
                                              cache_salt=fonts_digest(paths.fonts))
            result.files["image"] = long_jpg
            t = lap("image", t)
        if "screen" not in editions and "screen" in result.files:
            result.files.pop("screen").unlink()  # made only to draw the image edition
        result.findings = check_paths(list(result.files.values()), Geometry.of(report.page))
        t = lap("check", t)
        if print_job is not None:
            files, findings = print_job.result() if parallel else build_print_edition(*print_job)
            result.files.update(files)
            result.findings += findings
            t = lap("print (waited)", t)

        failed = [f for f in result.findings if not f.ok]
        if failed:
            raise ReportError("生成的文件没有通过检查：\n" + "\n".join(f"  {f}" for f in failed))
        _move_into_place(stage, out_dir, result, Finding)
        _write_record(out_dir, key, result)
        prune_cache(paths.cache)
        lap("move", t)
        timings["total"] = time.perf_counter() - started
        result.timings = timings
        return result
    finally:
        guard.release()  # issue 5: on failure this first stops the print worker, so nothing waits for it
        shutil.rmtree(stage, ignore_errors=True)


def _revision_datetime(report):
    import datetime as dt

    return dt.datetime.combine(report.report.revision.date, dt.time(), dt.timezone.utc)


def _move_into_place(stage: Path, out_dir: Path, result: BuildResult, finding_type) -> None:
    """Rename every staged file into the output folder, as one step for Ctrl-C and kill -TERM.

    Each rename is atomic; holding SIGINT/SIGTERM until the last one means an
    interrupted build leaves either all old or all new editions, never a mix.
    """
    import signal

    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        _rename_all(stage, out_dir, result, finding_type)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _rename_all(stage: Path, out_dir: Path, result: BuildResult, finding_type) -> None:

    def moved(path: Path) -> Path:
        target = out_dir / path.relative_to(stage)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        return target

    others = [moved(path) for path in sorted(stage.rglob("*"))
              if path.is_file() and path.suffix not in (".pdf", ".jpg", ".png", ".svg")]
    result.charts = [moved(p) for p in result.charts]
    result.thumbnails = [moved(p) for p in result.thumbnails]
    result.files = {k: moved(p) for k, p in result.files.items()}
    result.findings = [
        finding_type(str(out_dir / Path(f.file).relative_to(stage)) if f.file.startswith(str(stage)) else f.file,
                     f.rule, f.ok, f.message)
        for f in result.findings
    ]
    write_checksums(out_dir, [*result.files.values(), *result.thumbnails, *result.charts, *others])


def _write_record(out_dir: Path, key: str, result: BuildResult) -> None:
    page = result.report.page
    record = {"key": key, "pages": result.pages, "files": {k: p.name for k, p in result.files.items()},
              "parts": result.parts, "page_of": result.page_of,  # the next build's guesses (tujie/parts.py)
              "page": {"width_mm": page.width_mm, "height_mm": page.height_mm, "bleed_mm": page.bleed_mm}}  # for `check`
    _write_quietly(out_dir / RECORD, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))


def write_checksums(out_dir: Path, files: list[Path]) -> Path:
    """SHA256SUMS of this build's files (``sha256sum -c`` format): identifies a printing.

    Only what this build wrote is listed, not files of earlier revisions that
    are still in the folder.
    """
    lines = []
    for path in sorted(files):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(out_dir).as_posix()}\n")
    target = out_dir / "SHA256SUMS"
    tmp = out_dir / ".SHA256SUMS.tmp"
    tmp.write_text("".join(lines), encoding="utf-8")
    os.replace(tmp, target)
    return target
