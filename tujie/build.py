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

import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import ReportError, ReportErrors
from .registry import DEFAULT, EDITIONS, EditionContext, Made, with_needs

PROJECT = Path(__file__).resolve().parent.parent
# Debian's libgs-common ships this CMYK profile; `make` installs it
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
RECORD = ".build.json"  # what the last good build of a report was made from
FLOW_ROUNDS = 6  # times the booklet is laid out again when a page turned out emptier than planned


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
    outputs: dict[str, list[Path]] = field(default_factory=dict)  # edition name → all its files, main first
    summaries: dict[str, str] = field(default_factory=dict)  # edition name → an extra line for the summary
    html: Path | None = None  # the whole booklet's final HTML (an intermediate, kept in the cache)
    findings: list = field(default_factory=list)
    unchanged: bool = False  # nothing to do: inputs identical to the last build
    timings: dict[str, float] = field(default_factory=dict)  # stage → seconds
    parts: dict[str, int] = field(default_factory=dict)  # part of the booklet → its page count
    laid_out: int = 0  # parts laid out by this build (the others came from the cache)
    page_of: dict[str, int] = field(default_factory=dict)  # anchor (section, figure) → page number
    flow: frozenset = frozenset()  # sections set on the page before them (tujie/parts.plan_flow)
    design: object = None  # tujie.qa.DesignReport: fill of each content page, findings

    @property
    def thumbnails(self) -> list[Path]:
        return self.outputs.get("image", [])[1:] or self.outputs.get("pages", [])

    @property
    def pdf(self) -> Path:
        """The screen PDF if built, else the print PDF."""
        return self.files.get("screen") or self.files["print"]


# ---------------------------------------------------------------- no-op check


def fonts_digest(font_dir: Path, cache_dir: Path | None = None) -> bytes:
    """A hash of the bundled fonts: what a glyph id in our PDFs stands for (tujie/digests.py
    remembers each file's hash by size and time, so the 40 MB are read once)."""
    from .digests import hash_files

    digest = hashlib.sha256()
    hash_files(digest, list(font_dir.glob("*.otf")), cache_dir)
    return digest.digest()


def inputs_key(source: Path, paths: Paths, editions: tuple[str, ...], options: dict) -> str:
    """A hash of everything a build reads: data, layouts, fonts, code, profile and options."""
    from .digests import hash_files, store_for

    digest = hashlib.sha256()
    digest.update(source.read_bytes())
    cache = paths.cache
    # pictures beside the report: a logo (tujie/brand.py) or an image block (tujie/images.py)
    # (not the output folder's own pictures, when it lies inside the report's folder: they change every build)
    output = paths.output.resolve()
    hash_files(digest, [p for p in source.parent.rglob("*") if p.suffix.lower() in (".svg", ".png", ".jpg", ".jpeg")
                        and not p.resolve().is_relative_to(output)], cache)
    hash_files(digest, [p for p in paths.layouts.rglob("*") if p.is_file()], cache)
    digest.update(fonts_digest(paths.fonts, cache))
    hash_files(digest, [p for p in (PROJECT / "tujie").rglob("*.py")], cache)
    hash_files(digest, [PROJECT / "requirements.txt"], cache)
    if paths.cmyk_profile.is_file():
        hash_files(digest, [paths.cmyk_profile], cache)
    store_for(cache).save()
    digest.update(json.dumps([sorted(editions), options], sort_keys=True).encode())
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


def paired_charts(blocks, layout) -> set[int]:
    """Indexes of charts that share a row: consecutive charts that may, two by two."""
    from .model import ChartBlock

    halves, run = set(), []
    for i, block in enumerate(list(blocks) + [None]):
        # e.g. a "pairs" chart is already two panels side by side: the manifest keeps it full width
        if isinstance(block, ChartBlock) and layout.can_share_row(block.chart):
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


def plan_charts(report, layout, cache_dir: Path | None = None) -> ChartPlan:
    """Size every chart and read those whose SVG is cached (keyed by data, style, size and code)."""
    from .figures import ChartSize, chart_cache_key
    from .model import ChartBlock

    figures = report.figures()
    theme = layout.theme
    plan = ChartPlan({}, {}, [])
    width = layout.type_width(report.page)
    for s, section in enumerate(report.sections):
        halves = paired_charts(section.blocks, layout)
        for b, block in enumerate(section.blocks):
            if not isinstance(block, ChartBlock):
                continue
            items = len(block.labels) if block.series else len(block.figures)
            size = plan.sizes[(s, b)] = ChartSize(*layout.chart_size(block.chart, items, width, half=b in halves))
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


def draw_charts(report, layout, font_dir: Path, cache_dir: Path | None = None) -> dict:
    """(section, block) → (SVG text, size) for every chart, drawn here or taken from the cache."""
    plan = plan_charts(report, layout, cache_dir)
    return with_sizes(plan, draw_missing_charts(report, layout.theme, plan, font_dir))


def _draw_booklet_charts(report, theme, plan: ChartPlan, web_plan: ChartPlan | None, font_dir: Path) -> dict:
    """The booklet's missing charts (in the charts' child, tujie/forked.py)."""
    return draw_missing_charts(report, theme, plan, font_dir)


def _draw_web_charts(report, theme, plan: ChartPlan, web_plan: ChartPlan | None, font_dir: Path) -> None:
    """The web edition's missing charts, into the cache, so that the web edition's process need not
    import matplotlib again; drawn after the booklet's are sent, while the booklet is laid out (a
    first build of the default report waited 0.2 s longer for its charts when these came first)."""
    if web_plan is not None:
        draw_missing_charts(report, theme, web_plan, font_dir)


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
    layout: object  # tujie.manifest.Layout
    drawn: dict
    fonts: dict
    cmyk_profile: Path | None  # the print file's output intent; None when no print file is made
    assets: dict = field(default_factory=dict)  # image src → tujie.images.Placed
    logo: str | None = None  # the report's logo as a data URI (tujie/brand.py)
    cache_dir: Path | None = None  # where compiled templates are kept between processes

    @cached_property
    def _booklet(self):
        from .layout import BookletHtml, Chart, svg_data_uri

        full = self.layout.type_width(self.report.page)
        charts = {
            key: Chart(svg_data_uri(svg), size.width_mm, size.height_mm, half=size.width_mm < full)
            for key, (svg, size) in self.drawn.items()
        }
        return BookletHtml(self.report, self.layout, charts, self.fonts,
                           bleed_mm=self.report.page.bleed_mm, assets=self.assets,
                           color_profile=self.cmyk_profile.as_uri() if self.cmyk_profile else None, logo=self.logo,
                           cache_dir=self.cache_dir)

    def html(self, notes: int, page_of: dict | None = None, part: str | None = None, start: int = 1,
             flow: frozenset = frozenset()) -> str:
        """The whole booklet (``part`` None) or one part of it (tujie/parts.py); ``flow``: the
        sections that follow the previous one on its page (tujie/parts.plan_flow)."""
        from .parts import sections_of

        held = sections_of(part, len(self.report.sections), flow) if part and part.startswith("section-") else None
        return self._booklet.render(notes_pages=notes, part=part, start_page=start, page_of=page_of, flow=flow,
                                    sections=held)

    def part_html(self, name: str, start: int, page_of: dict | None, flow: frozenset = frozenset()) -> str:
        from .parts import END, notes_pages

        return self.html(notes_pages(start) if name == END else 0, page_of, part=name, start=start, flow=flow)

    def stylesheets(self, start: int) -> tuple[str, ...]:
        """The style sheets of a part that starts on page ``start`` (its HTML has none)."""
        return self._booklet.stylesheets(start)


def toolchain_salt(paths: Paths, theme, pictures: list[Path] = ()) -> bytes:
    """What a part's PDFs depend on besides its HTML: code, fonts, versions, CMYK values and profile,
    and the contents of the ``pictures`` it draws (the HTML names them only by path)."""
    from .digests import hash_files

    digest = hashlib.sha256()
    hash_files(digest, list(pictures), paths.cache)
    hash_files(digest, [p for p in (PROJECT / "tujie").rglob("*.py")], paths.cache)
    hash_files(digest, [PROJECT / "requirements.txt"], paths.cache)
    digest.update(fonts_digest(paths.fonts, paths.cache))
    digest.update(json.dumps(theme.cmyk_table(), sort_keys=True).encode())
    if paths.cmyk_profile.is_file():
        hash_files(digest, [paths.cmyk_profile], paths.cache)
    return digest.digest()


def lay_out_booklet(spec: HtmlSpec, salt: bytes, parts_dir: Path, roots: list[Path], source: Path,
                    cmyk_table: dict | None, allow_overflow: bool, parallel: bool, last: dict,
                    font_dir: Path | None = None, pool=None, prints_salt: bytes | None = None
                    ) -> tuple[list, int, frozenset]:
    """Every part of the booklet, from the cache or laid out now; how many were laid out; which
    sections flow on after the previous one (tujie/parts.plan_flow).

    ``last`` is the last build's record: its page counts and page numbers are
    this build's first guesses (tujie/parts.py). ``prints_salt``: the layout workers fingerprint
    each part's screen pages with it (tujie/editions.fingerprint_salt).
    """
    from .parts import (FIRST_PAGE, corrected_flow, estimated_counts, estimated_page_of, lay_out_parts, part_names,
                        plan_flow)

    classes = spec.layout.classes.model_dump()
    runner = PartRunner(salt, parts_dir, roots, cmyk_table, source, allow_overflow, parallel, classes,
                        spec.stylesheets, font_dir=font_dir, pool=pool, prints_salt=prints_salt)
    try:
        count = len(spec.report.sections)

        @functools.cache
        def alone() -> list:  # each section alone, to see how much of its last page it fills (cached like any part)
            return [(f"section-{i}", spec.part_html(f"section-{i}", 1, None), 1) for i in range(count)]

        rules, height = spec.layout.sections, spec.layout.type_height(spec.report.page)
        ids = [s.id for s in spec.report.sections]
        revision = last.get("sections") == ids
        if revision:
            # the last build's choice while the sections are the same ones; the measurements are
            # needed only to correct it, after the layout (so the layout starts without rendering
            # each section alone), and mostly come from the real pages
            flow = frozenset(last["flow"])
            measured = None
        else:  # a fresh guess
            # the first section is measured as the real part it will be (it always opens the page after
            # the front), so that it is laid out once: its page count and fills are the same either way
            first = (alone()[0][0], spec.part_html(alone()[0][0], FIRST_PAGE, None), FIRST_PAGE)
            measured = runner([first, *alone()[1:]], write=frozenset([first[0]]))
            flow = plan_flow(measured, rules, height)
        for round_ in range(1, FLOW_ROUNDS + 1):
            # page counts to start from: the last build's while the sections are the same ones, else (a
            # first build, or sections added or removed) a guess from the sections measured alone
            names = part_names(spec.report, flow)
            if revision:
                counts, page_of = last.get("parts"), last.get("page_of")
            elif parallel:  # guessed from the sections measured alone
                counts = estimated_counts(measured, flow, rules, height)
                page_of = estimated_page_of(measured, names, flow, counts)
            else:
                counts = page_of = None
            laid = lay_out_parts(lambda name, start, page_of: spec.part_html(name, start, page_of, flow),
                                 names, runner, last_counts=counts, last_page_of=page_of if parallel else None)
            if revision:
                if measured is None:
                    measured = runner.from_cache(alone(), write=False)
                measured = _measured_from_pages(measured, laid, alone(), runner, flow)
            better = corrected_flow(laid, measured, flow, rules, height)
            if better == flow or round_ == FLOW_ROUNDS:
                break  # the flow returned is always the one the parts were laid out with
            flow = better
    finally:
        runner.close()
    return laid, runner.laid_out, flow


def _measured_from_pages(measured: list, laid: list, alone: list, runner: "PartRunner", flow: frozenset) -> list:
    """Fill the sections not measured alone yet (None in ``measured``).

    A section that opens a page and holds it alone is laid out in the booklet
    exactly as when measured alone, but for its page number and side, which
    change neither its height nor its fill; those take the real part's pages.
    Only a section that heads a group of flowed sections is laid out alone,
    as corrected_flow needs it by itself.
    """
    from .parts import sections_of

    filled = list(measured)
    for part in laid:
        if part.name.startswith("section-"):
            held = sections_of(part.name, len(alone), flow)
            if len(held) == 1 and filled[held[0]] is None:
                filled[held[0]] = part
    missing = [i for i, m in enumerate(filled) if m is None and i not in flow and i > 0]  # the first is never asked
    for i, part in zip(missing, runner([alone[i] for i in missing], write=False) if missing else []):
        filled[i] = part
    return filled


class PartRunner:
    """Turns [(part name, HTML, start page)] into parts: from the cache, or laid out now.

    With ``parallel``, two or more parts to lay out go to a pool of forked
    processes (one per core); a single part is laid out in this process.
    ``pool``: a pool kept by the caller (tujie/warm.py), not shut down here.
    """

    def __init__(self, salt: bytes, cache_dir: Path, roots: list[Path], cmyk_table: dict | None,
                 source: Path, allow_overflow: bool, parallel: bool, classes: dict,
                 stylesheets: Callable[[int], tuple[str, ...]], font_dir: Path | None = None, pool=None,
                 prints_salt: bytes | None = None):
        self.salt, self.cache_dir, self.roots, self.classes = salt, cache_dir, roots, classes
        self.stylesheets = stylesheets  # start page → the part's style sheets
        self.cmyk_table, self.source, self.allow_overflow = cmyk_table, source, allow_overflow
        self.parallel, self.font_dir, self.prints_salt = parallel, font_dir, prints_salt
        self.pool, self._own_pool = pool, pool is None
        self.laid_out = 0  # parts laid out (not taken from the cache), reported as BuildResult.laid_out

    def __call__(self, items: list[tuple[str, str, int]], guesses: list[tuple[str, str, int]] = (),
                 write: bool | frozenset[str] = True) -> list:
        """The parts for ``items``. ``guesses`` are laid out beside them when there is a spare
        core, so that a later call may find them in the cache; their failures do not matter.
        ``write``: True for real parts, False to only measure the parts' pages (no PDFs), or the
        names of the items that are real parts (the others are measured)."""
        from . import parts

        found, jobs, futures, wanted = {}, [], [], []
        # a pool kept by a resident builder is there already: each part goes to it as soon as its HTML is
        # known to be new, while the next part's HTML is rendered (``items`` and ``guesses`` may be generators)
        eager = self.parallel and not self._own_pool

        def listed():
            for name, html, start in items:
                wanted.append(name)
                yield name, html, start, write is True or bool(write and name in write)
            for name, html, start in (guesses if self.parallel else ()):
                yield name, html, start, True

        for name, html, start, real in listed():
            css = self.stylesheets(start)
            key = parts.part_key(html, self.salt if real else self.salt + b"measure", css)
            hit = parts.cached(key, self.cache_dir, self.cmyk_table is not None, want_pdf=real)
            if hit:
                found[name] = hit
                continue
            jobs.append(parts.PartJob(name, html, key, start, self.cache_dir, PROJECT, self.roots, self.cmyk_table,
                                      self.source, self.allow_overflow, self.classes, real, self.font_dir, css,
                                      self.prints_salt if real else None))
            if eager:
                futures.append((jobs[-1], self.pool.submit(parts.lay_out, jobs[-1])))
        if futures or (len(jobs) > 1 and self.parallel):
            futures = futures or [(job, self._pool().submit(parts.lay_out, job)) for job in jobs]
            for job, future in futures:
                # waits; the time limit or Ctrl-C, raised while waiting, is not the job's failure
                error = future.exception()
                if error is None:
                    found[job.name] = future.result()
                elif job.name in wanted:
                    raise error
        else:
            found.update((job.name, parts.lay_out(job)) for job in jobs)
        # measuring a section alone (tujie/parts.plan_flow) is not a part of the booklet
        self.laid_out += sum(job.write for job in jobs)
        return [found[name] for name in wanted]

    def from_cache(self, items: list[tuple[str, str, int]], write: bool = True) -> list:
        """The parts for ``items`` that are in the cache, None for the others (nothing is laid out)."""
        from . import parts

        salt = self.salt if write else self.salt + b"measure"
        return [parts.cached(parts.part_key(html, salt, self.stylesheets(start)), self.cache_dir,
                             self.cmyk_table is not None, want_pdf=write)
                for _, html, start in items]

    def _pool(self):
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        from . import parts

        if self.pool is None:
            # fork: workers inherit WeasyPrint, loaded and patched, instead of importing it again
            self.pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("fork"),
                                            initializer=parts.worker_started)
        return self.pool

    def close(self) -> None:
        if self.pool is not None and self._own_pool:
            self.pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- the build


def build_report(source: Path, paths: Paths = Paths(), editions: tuple[str, ...] = DEFAULT,
                 impose: bool = False, parallel: bool = True, force: bool = False,
                 allow_overflow: bool = False, pool=None, kept: dict | None = None) -> BuildResult:
    """Build the requested editions of one report into ``paths.output / <report name>/``.

    ``editions`` are names in the registry (tujie/registry.py); ``impose`` adds
    the imposed file. ``parallel`` writes the print edition in a forked child;
    ``force`` rebuilds even when nothing changed; ``allow_overflow`` turns
    layout overflow errors into warnings (tujie/overflow.py). ``pool``: a forked process pool
    kept by a resident builder (tujie/warm.py) to lay parts out in; None makes one per build.
    ``kept``: what that builder keeps between builds for the editions (tujie/registry.EditionContext).
    """
    started = time.perf_counter()
    unknown = set(editions) - set(EDITIONS)
    if unknown:
        raise ReportError(f"不认识的版本：{'、'.join(sorted(unknown))}（可选：{'、'.join(EDITIONS)}）")
    editions = tuple(sorted(set(editions) | ({"imposed"} if impose else set())))
    if not source.is_file():
        raise ReportError("找不到这个文件", file=str(source))
    out_dir = paths.output / source.stem
    key = inputs_key(source, paths, editions, {"allow_overflow": True} if allow_overflow else {})
    record = None if force else _unchanged(out_dir, key)
    if record:
        return BuildResult(None, record["pages"], out_dir, {k: out_dir / v for k, v in record["files"].items()},
                           unchanged=True, timings={"no-op": time.perf_counter() - started},
                           summaries=record.get("summaries", {}))
    return _build(source, paths, editions, parallel, key, out_dir, started, allow_overflow, pool, kept)


def _build(source, paths, editions, parallel, key, out_dir, started, allow_overflow=False, pool=None,
           kept=None) -> BuildResult:
    from . import coverage, limits
    from .editions import fingerprint_salt
    from .fonts import bundled as bundled_fonts
    from .forked import Forked
    from .images import picture_files, place_images
    from .load import load_report
    from .manifest import load_layout

    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0) + now - since
        return now

    building = with_needs(editions)  # the asked-for editions and those they read
    cmyk = any(EDITIONS[name].needs_cmyk for name in building)
    booklet = any(EDITIONS[name].needs_booklet for name in building)
    t = time.perf_counter()
    report = load_report(source)
    bundled_fonts(paths.fonts)  # a missing or damaged font file: say which and how to fix it, before anything reads it
    # issue 5: before any layout, refuse characters the fonts lack and texts long enough to run away
    coverage.check_characters(report, source, paths.fonts, paths.cache)
    limits.check_content(report, source)
    layout = load_layout(paths.layouts, report.layout, source=str(source))
    if cmyk and not paths.cmyk_profile.is_file():
        raise ReportError(f"缺少印刷用的 CMYK 色彩配置文件 {paths.cmyk_profile}，请先运行 make 安装系统依赖")
    from . import brand

    # issue 12: the report's own brand colours and logo over the layout's palette, and readable on it
    theme = layout.theme.with_report(report, paths.cmyk_profile)
    layout = layout.model_copy(update={"theme": theme})
    for warning in brand.check_contrast(theme, report, source):
        print(warning, file=sys.stderr)
    logo = brand.logo_uri(report, source)
    assets = place_images(report, source, layout)
    t = lap("load", t)
    plan = plan_charts(report, layout, paths.cache) if booklet else ChartPlan({}, {}, [])
    # charts the cache lacks are drawn by a forked child while this process imports WeasyPrint
    # (matplotlib and WeasyPrint each take ~0.7 s just to import)
    # (a resident builder, with ``pool``, has both imported already and draws here)
    web_plan = None
    if "web" in building and parallel and pool is None:
        from .web import web_chart_plan

        web_plan = web_chart_plan(report, theme, paths.layouts, paths.cache)
    if (plan.missing or (web_plan and web_plan.missing)) and parallel and pool is None:
        charts_job = Forked(_draw_booklet_charts, report, theme, plan, web_plan, paths.fonts, what="图表",
                            then=_draw_web_charts)
    else:
        charts_job = None

    # heavy imports here, after the no-op check
    from .check import Finding
    from .pdf import harfbuzz_subset_available

    if booklet and not harfbuzz_subset_available():
        print("警告：系统缺少 libharfbuzz-subset0，字体子集化会慢约 25 倍。请运行 make 安装。")
    if charts_job and booklet:
        # while the child draws: the fonts into WeasyPrint, so the layout workers forked next inherit them
        from .pdf import load_fonts

        load_fonts(paths.fonts, font_files(paths.fonts))
    drawn = with_sizes(plan, charts_job.result() if charts_job else
                       draw_missing_charts(report, theme, plan, paths.fonts))
    t = lap("charts (+ imports)", t)
    spec = HtmlSpec(report, layout, drawn, font_files(paths.fonts), paths.cmyk_profile if cmyk else None,
                    assets=assets, logo=logo, cache_dir=paths.cache)
    roots = [paths.fonts, *layout.dirs, source.parent, paths.cmyk_profile.parent]

    stem = file_stem(source, report)
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

        ctx = EditionContext(report, source, paths, theme, stage, stem, parallel=parallel, pool=pool, kept=kept)
        if booklet:
            # the booklet in parts: only parts whose HTML changed are laid out again (tujie/parts.py)
            ctx.parts_dir = paths.cache / "parts"
            salt = toolchain_salt(paths, theme, picture_files(assets))
            ctx.laid, result.laid_out, result.flow = lay_out_booklet(
                spec, salt, ctx.parts_dir, roots, source, theme.cmyk_table() if cmyk else None,
                allow_overflow, parallel, _read_record(out_dir), font_dir=paths.fonts, pool=pool,
                prints_salt=fingerprint_salt(fonts_digest(paths.fonts, paths.cache)))
            laid = ctx.laid
            result.design = _design_review(laid, layout, report, source, allow_overflow)
            overflows = [ReportError(**w) for p in laid for w in p.warnings]
            if overflows and not allow_overflow:
                raise ReportErrors(overflows[:20], more=max(0, len(overflows) - 20))
            for error in overflows:
                print(f"警告（已按 --allow-overflow 放行）：{error}", file=sys.stderr)
            result.pages = sum(p.pages for p in laid)
            result.parts = {p.name: p.pages for p in laid}
            limits.check_page_count(result.pages, source)
            result.page_of = {anchor: page for p in laid for anchor, page in p.anchors.items()}
            t = lap("layout", t)

        # each edition's build step, in registration order (tujie/registry.py); the print file's
        # runs on in a forked child while the others are made
        # the editions made in forked children first, so that they run beside the others
        # a resident builder's layout workers are idle by now: each file's preflight runs there
        # while this process makes the next edition (the screen PDF's check beside the page pictures)
        if charts_job:
            charts_job.join()  # the web edition's charts are in the cache (drawn during the layout)
        checks = {}
        for name in sorted(building, key=lambda n: not EDITIONS[n].apart):
            made = ctx.made[name] = EDITIONS[name].build(ctx)
            if pool is not None and name in editions and isinstance(made, Made) and made.findings is None:
                checks[name] = pool.submit(check_edition, name, made.files[0], report)
            t = lap(name, t)
        if booklet:  # while the editions still running finish: no edition reads it
            result.html = _write_booklet_html(spec, ctx.laid, result.page_of, result.flow, paths.cache, source.stem)
        for name in building:
            made = ctx.result(name)  # waits for those still running
            if name not in editions:  # made only for another edition to read
                for path in made.files:
                    path.unlink()
                continue
            result.outputs[name] = made.files
            result.files[name] = made.files[0]
            if made.summary:
                result.summaries[name] = made.summary
            result.findings += made.findings if made.findings is not None else \
                checks[name].result() if name in checks else check_edition(name, made.files[0], report)
        t = lap("check (+ waited)", t)

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
        if charts_job:
            charts_job.stop()  # on failure, still drawing the web charts (the guard counts it as the caller's)
        guard.release()  # issue 5: on failure this first stops the print worker, so nothing waits for it
        shutil.rmtree(stage, ignore_errors=True)


def check_edition(name: str, path: Path, report) -> list:
    """The preflight findings of one edition's main file (a function of its own, to run in a worker)."""
    return EDITIONS[name].check(path, report)


def _design_review(laid, layout, report, source: Path, allow_overflow: bool):
    """Design findings (tujie/qa.py): errors when the report asks ``checks.design: fail``, else warnings."""
    from .qa import review

    from .overflow import locate_text

    def locate(page: int, texts, message: str) -> str:
        """The finding with the data line of the first of the page's texts found in the data."""
        texts = [texts] if isinstance(texts, str) else list(texts or ())
        line = field = None
        for text in (t for t in texts if len(t) >= 4):  # two characters match anywhere
            line, field = locate_text(source, text)
            if line:
                break
        where = f"，第 {line} 行，字段 {field}" if line else ""
        start = f"（从“{texts[0][:12]}”起）" if texts else ""
        return f"文件 {source}{where}：第 {page} 页{start}：{message}"

    design = review(laid, layout.sections, locate)
    if design.findings and report.checks.design == "fail" and not allow_overflow:
        raise ReportErrors([ReportError(f"设计检查：{f}") for f in design.findings])
    for finding in design.findings:
        print(f"警告（设计检查）：{finding}", file=sys.stderr)
    return design


def _write_booklet_html(spec: HtmlSpec, laid: list, page_of: dict, flow: frozenset, cache: Path, name: str) -> Path:
    """The whole booklet's final HTML, for inspection and the benchmark's floor.

    It names fonts and profiles by absolute file:// URL, so it is kept in the
    cache, outside the delivered folder: delivered files must not depend on
    where the project is checked out.
    """
    from .parts import END, notes_pages

    notes = notes_pages(next(p.start for p in laid if p.name == END))
    path = cache / "html" / f"{name}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(spec.html(notes, page_of, flow=flow), encoding="utf-8")
    return path


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
    """Everything in the staging folder is delivered: move it all and list it all in SHA256SUMS."""
    moved = {}
    for path in sorted(stage.rglob("*")):
        if path.is_file():
            target = moved[path] = out_dir / path.relative_to(stage)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
    result.charts = [moved[p] for p in result.charts]
    result.outputs = {k: [moved[p] for p in files] for k, files in result.outputs.items()}
    result.files = {k: moved[p] for k, p in result.files.items()}
    result.findings = [
        finding_type(str(out_dir / Path(f.file).relative_to(stage)) if f.file.startswith(str(stage)) else f.file,
                     f.rule, f.ok, f.message)
        for f in result.findings
    ]
    write_checksums(out_dir, list(moved.values()))


def _write_record(out_dir: Path, key: str, result: BuildResult) -> None:
    page = result.report.page
    record = {"key": key, "pages": result.pages, "summaries": result.summaries,
              "files": {k: p.relative_to(out_dir).as_posix() for k, p in result.files.items()},
              "parts": result.parts, "page_of": result.page_of,  # the next build's guesses (tujie/parts.py)
              "flow": sorted(result.flow), "sections": [s.id for s in result.report.sections],
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
