"""Stage 4a: lay the booklet out part by part, and keep each part's PDFs.

A revision usually touches one section and the data index (which repeats
every figure). Laying out only the parts whose HTML changed and reusing the
PDFs of the others makes a rebuild cost the changed parts, not the booklet.
The parts are

    front       cover and contents
    section-N   one per section
    index       the data index
    end         notes pages and back cover

and every part starts on a new page in the booklet anyway. Each part is laid
out as its own document that knows its first page number and side
(tujie/layout.py), written as a screen PDF and a print PDF, and cached under
a hash of its HTML and of the toolchain (code, fonts, WeasyPrint). The joined
files are made by tujie/merge.py.

Where a part starts depends on the page counts of the parts before it, known
only after layout. The build starts from the counts of its last build (or,
the first time, lays the sections out one after another) and lays out again
any part whose start turned out wrong. The front and the index cite the
sections' page numbers, so they come after them; the end pads the booklet to
a multiple of four pages, so it comes last.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from .errors import ReportError

FRONT, INDEX, END = "front", "index", "end"
GUESSED = {FRONT: 2, INDEX: 1, END: 1}  # page counts assumed until a part is laid out (cover and contents: 2)
FIRST_PAGE = 1 + GUESSED[FRONT]  # where the first section starts, on that guess
MAX_ROUNDS = 4  # a part whose start was guessed wrong is laid out again; this bounds the rounds


def part_names(report, flow: frozenset[int] = frozenset()) -> list[str]:
    """The parts of a report's booklet, in order: a section part holds a section that opens a
    page and the sections that flow on after it (``flow``, see :func:`plan_flow`)."""
    return [FRONT, *(f"section-{i}" for i in range(len(report.sections)) if i not in flow), INDEX, END]


def sections_of(name: str, count: int, flow: frozenset[int]) -> tuple[int, ...]:
    """The section indexes a ``section-N`` part holds."""
    first = int(name.split("-")[1])
    held = [first]
    while held[-1] + 1 < count and held[-1] + 1 in flow:
        held.append(held[-1] + 1)
    return tuple(held)


def _band(rules, type_height_mm: float) -> tuple[float, float]:
    """In shares of the type area: what a compact band saves over a full opener, and its space above."""
    return (rules.opener_height_mm - rules.band_height_mm) / type_height_mm, 8 / type_height_mm


def should_flow(fill_before: float, alone: "Part", rules, type_height_mm: float) -> bool:
    """Whether a section (``alone``: laid out by itself, with its full opener) goes on the page
    before it, which is ``fill_before`` full, under a compact band instead of opening a page.

    It does when it is short and fits in the room left (it shares the page), or
    when the page before would otherwise stay under ``rules.min_fill`` (no page
    is left mostly empty). A long section after a well-filled page keeps its
    full opener.
    """
    saving, gap = _band(rules, type_height_mm)
    fills = [shape["fill"] for shape in alone.shapes] or [1.0]
    short = len(fills) == 1 and fills[0] - saving + gap <= 1 - fill_before
    return short or fill_before < rules.min_fill


def plan_flow(measured: list["Part"], rules, type_height_mm: float) -> frozenset[int]:
    """A first guess of which sections flow on after the previous one (:func:`should_flow`),
    from each section laid out alone; :func:`corrected_flow` then checks it on the real pages."""
    flow, fill = set(), None
    saving, _ = _band(rules, type_height_mm)
    for i, part in enumerate(measured):
        fills = [shape["fill"] for shape in part.shapes] or [1.0]
        if fill is not None and should_flow(fill, part, rules, type_height_mm):
            flow.add(i)
            depth = fill + (len(fills) - 1) + fills[-1] - saving
            fill = fills[-1] if depth > 1 else depth  # spilled: its own last page is a fair guess
        else:
            fill = fills[-1]
    return frozenset(flow)


def estimated_counts(measured: list["Part"], flow: frozenset[int], rules, type_height_mm: float) -> dict[str, int]:
    """Each section part's page count guessed from its sections laid out alone, so that a first
    build lays the sections out all at once (:func:`lay_out_parts`) instead of one after another;
    a wrong guess only lays the parts after it out again."""
    saving, gap = _band(rules, type_height_mm)
    counts, name, depth = {}, None, 0.0
    for i, part in enumerate(measured):
        fills = [shape["fill"] for shape in part.shapes] or [1.0]
        if i in flow and name is not None:
            depth += gap + (len(fills) - 1) + fills[-1] - saving
        else:
            name, depth = f"section-{i}", (len(fills) - 1) + fills[-1]
        counts[name] = max(1, math.ceil(depth - 1e-6))
    return counts


def estimated_page_of(measured: list["Part"], names: list[str], flow: frozenset[int],
                      counts: dict[str, int]) -> dict[str, int] | None:
    """Each anchor's page guessed from its section laid out alone and the guessed page counts
    (``counts``, see :func:`estimated_counts`), so that a first build lays the front and the
    data index out beside the sections instead of after them (:func:`lay_out_parts`). None
    when a section flows on after another: where on that page it starts is not known."""
    if flow:
        return None
    starts = _starts(names, {**GUESSED, **counts})
    page_of = {"data-index": starts[INDEX]}
    for i, part in enumerate(measured):
        page_of.update({anchor: page - part.start + starts[f"section-{i}"] for anchor, page in part.anchors.items()})
    return page_of


def corrected_flow(laid: list["Part"], measured: list["Part"], flow: frozenset[int], rules,
                   type_height_mm: float) -> frozenset[int]:
    """``flow`` plus the sections that, on the pages as really laid out, should have flowed."""
    groups = [p for p in laid if p.name.startswith("section-")]
    added = set(flow)
    for before, after in zip(groups, groups[1:]):
        first = int(after.name.split("-")[1])
        last_fill = before.shapes[-1]["fill"] if before.shapes else 1.0
        if should_flow(last_fill, measured[first], rules, type_height_mm):
            added.add(first)
    return frozenset(added)


def notes_pages(end_start: int) -> int:
    """Notes pages before the back cover that make the booklet a multiple of four pages long."""
    return (-end_start) % 4  # the end part is the notes pages and the back cover


@dataclass
class Part:
    """One laid-out part, as kept in the cache (``<key>.json`` beside its PDFs)."""

    name: str
    key: str
    start: int  # page number of its first page in the booklet
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)  # anchor → page number in the booklet
    # overflows found in this part, as ReportError fields: an error only if the booklet's final layout
    # still has them (a part laid out for a page arrangement that was then corrected does not count)
    warnings: list[dict] = field(default_factory=list)
    shapes: list[dict] = field(default_factory=list)  # tujie.qa.PageShape of each page, as dicts
    # its screen pages' fingerprints (tujie/editions.page_fingerprints), with the salt that ``prints_of`` names
    prints: list[str] = field(default_factory=list)
    prints_of: str = ""

    def pdf(self, cache_dir: Path, edition: str) -> Path:
        return cache_dir / f"{self.key}-{edition}.pdf"


@dataclass
class PartJob:
    """Everything a worker process needs to lay out and write one part (picklable)."""

    name: str
    html: str
    key: str
    start: int
    cache_dir: Path
    base_dir: Path
    roots: list[Path]
    cmyk_table: dict | None  # None: no print file wanted
    source: Path
    allow_overflow: bool
    classes: dict  # the layout's class names the checks look for (manifest ``classes``)
    write: bool = True  # False: only measure the pages (tujie/parts.plan_flow), write no PDF
    font_dir: Path | None = None  # the bundled fonts: one font configuration per process for them
    stylesheets: tuple[str, ...] = ()  # the part's CSS, kept out of its HTML (tujie/pdf.paginate)
    prints_salt: bytes | None = None  # fingerprint the screen pages with it (editions.fingerprint_salt); None: not


def prints_tag(salt: bytes) -> str:
    """Names the salt a part's page fingerprints were made with (Part.prints_of)."""
    return hashlib.sha256(salt).hexdigest()[:16]


def part_key(html: str, salt: bytes, stylesheets: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256(salt)
    for text in (html, *stylesheets):
        digest.update(len(text).to_bytes(8, "big") + text.encode("utf-8"))
    return digest.hexdigest()[:40]


def cached(key: str, cache_dir: Path, want_print: bool, want_pdf: bool = True) -> Part | None:
    meta = cache_dir / f"{key}.json"
    try:
        part = Part(**json.loads(meta.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    needed = ([part.pdf(cache_dir, "screen")] if want_pdf else []) + \
        ([part.pdf(cache_dir, "print")] if want_print and want_pdf else [])
    if not all(path.is_file() for path in needed):
        return None
    for path in [meta, *needed]:
        os.utime(path)  # recently used: kept when the cache is pruned
    return part


def worker_started() -> None:
    """Initializer of a forked layout worker: leave what it inherited out of garbage collection.

    The worker inherits the parent's heap (WeasyPrint, the fonts, matplotlib:
    about a million objects), all of it long-lived; without this every full
    collection during a layout walks it again. Measured on a section of the
    default report: median layout 0.38-0.54 s -> 0.28-0.40 s over four runs.
    """
    gc.freeze()


def lay_out(job: PartJob) -> Part:
    """Lay out one part and write its PDFs into the cache (runs in a worker process)."""
    from . import limits, overflow, qa
    from .pdf import paginate, shared_font_config, write_print, write_screen

    document = paginate(job.html, job.base_dir, job.roots,
                        shared_font_config(job.font_dir) if job.font_dir is not None else None, job.stylesheets)
    limits.check_pages(document, job.source)
    warnings = [{"message": e.message, "file": e.file, "line": e.line, "field": e.field}
                for e in overflow.overflow_errors(document, job.source, job.classes)] if job.write else []
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, job.start):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    shapes = [shape.as_dict() for shape in qa.page_shapes(document, job.classes)]
    part = Part(job.name, job.key, job.start, len(document.pages), anchors, warnings if job.write else [], shapes)
    job.cache_dir.mkdir(parents=True, exist_ok=True)
    if not job.write:  # measured only: its overflows, if any, are reported by the real layout
        with _written(job.cache_dir / f"{job.key}.json") as tmp:
            tmp.write_text(json.dumps(asdict(part), ensure_ascii=False), encoding="utf-8")
        return part
    screen, printed = part.pdf(job.cache_dir, "screen"), part.pdf(job.cache_dir, "print")
    with _written(screen) as tmp:
        write_screen(document, tmp)
    if job.prints_salt is not None:
        from .editions import page_fingerprints

        part.prints, part.prints_of = page_fingerprints(screen, job.prints_salt), prints_tag(job.prints_salt)
    if job.cmyk_table is not None:
        with _written(printed) as tmp:
            write_print(document, tmp, job.cmyk_table)
    if warnings:
        return part  # let through this once; not cached, so the warning comes again next time
    with _written(job.cache_dir / f"{job.key}.json") as tmp:  # last: the JSON says the PDFs are complete
        tmp.write_text(json.dumps(asdict(part), ensure_ascii=False), encoding="utf-8")
    return part


@contextmanager
def _written(path: Path):
    """A temporary name to write ``path`` under; renamed into place on success, removed on failure."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _starts(names: list[str], counts: dict[str, int]) -> dict[str, int]:
    starts, page = {}, 1
    for name in names:
        starts[name] = page
        page += counts[name]
    return starts


def _guesses(render, last_page_of: dict | None, starts: dict):
    """Front, index and end with the last build's page numbers, each rendered when asked for
    (none once one cannot be given)."""
    if not last_page_of:
        return
    for name, page_of in ((FRONT, last_page_of), (INDEX, last_page_of), (END, None)):
        try:
            html = render(name, starts[name], page_of)
        except KeyError:  # an anchor the last build did not have: a figure or section was added
            return
        yield name, html, starts[name]


def lay_out_parts(render: Callable[[str, int, dict | None], str], names: list[str],
                  resolve: Callable[..., list[Part]], *,
                  last_counts: dict[str, int] | None = None, last_page_of: dict[str, int] | None = None) -> list[Part]:
    """Lay out (or take from the cache) every part; return them in booklet order.

    ``render(name, start, page_of)`` gives a part's HTML; ``resolve(items,
    guesses=[])`` takes [(name, html, start)] (a list or a generator) and returns their parts, from the
    cache or laid out (in parallel where it can), laying out ``guesses`` too
    when it has a spare core. ``last_counts`` (page count of each part) and
    ``last_page_of`` (page of each anchor) come from the last build: with them
    the sections are laid out all at once, and the other parts beside them on
    the guess that no page number moved. When the guess holds, as it does for
    a changed figure, the later steps find those parts in the cache; otherwise
    they are laid out again with the right numbers.
    """
    sections = [n for n in names if n not in (FRONT, INDEX, END)]  # section parts
    counts = {**GUESSED, **(last_counts or {})}
    for _ in range(MAX_ROUNDS):
        if all(n in counts for n in sections):
            # lengths known from the last build: every section at once (in parallel where possible)
            starts = _starts(names, counts)
            # generators: a resident builder's pool gets each new part while the next is rendered
            laid = resolve(((n, render(n, starts[n], None), starts[n]) for n in sections),
                           _guesses(render, last_page_of, starts))
            counts.update({p.name: p.pages for p in laid})
            if _starts(names, counts) != starts:
                continue  # a section's length differs from last time: the ones after it move
        else:
            # a first build: one section after another, each starting where the last one ended
            laid, start = [], 1 + counts[FRONT]
            for n in sections:
                laid += resolve([(n, render(n, start, None), start)])
                start += laid[-1].pages
            counts.update({p.name: p.pages for p in laid})
        starts = _starts(names, counts)
        page_of = {anchor: page for part in laid for anchor, page in part.anchors.items()}
        page_of["data-index"] = starts[INDEX]  # the data index is a part of its own
        front, index = resolve([(FRONT, render(FRONT, 1, page_of), 1),
                                (INDEX, render(INDEX, starts[INDEX], page_of), starts[INDEX])])
        if front.pages != counts[FRONT]:
            counts[FRONT] = front.pages
            continue
        if index.anchors.get("data-index") != starts[INDEX]:
            raise ReportError("数据一览没有从新的一页开始（版式模板的问题）")
        end_start = starts[INDEX] + index.pages
        (end,) = resolve([(END, render(END, end_start, None), end_start)])
        return [front, *laid, index, end]
    raise ReportError("分段排版时各部分的页码多次变动，没有稳定下来，请联系维护人员")
