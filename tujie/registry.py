"""The editions, as a registry: one class per edition, registered in one place (``EDITIONS``).

In the manner of Sphinx's builders, each edition declares

* ``name`` (what ``-e`` takes) and ``title`` (its Chinese description in
  ``--help`` and the build summary);
* ``file_names(stem)``: the files it delivers, relative to the report folder;
* ``build(ctx)``: its build step, given an :class:`EditionContext` (the laid
  out booklet, the staging folder, what earlier editions made); it returns a
  :class:`Made`, or something with ``result() -> Made`` that is still running
  (the print file is joined in a forked child);
* ``check(path, report)``: its preflight, returning ``check.Finding``\\ s;
* ``claims(path)``: whether a file in an output folder is one of its files,
  so ``render.py check`` knows which check to run;
* ``needs``: editions whose files it reads; they are built first (and not
  delivered unless asked for), because editions are built in registration
  order.

Adding an edition is writing one class here and adding it to ``EDITIONS``;
``build.py``, ``cli.py`` and ``check.py`` iterate the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar


@dataclass
class Made:
    """What an edition's build step wrote: its files (main file first) and, if it ran them, its checks."""

    files: list[Path]
    findings: list | None = None  # None: the build runs the edition's check
    summary: str = ""  # an extra line for the build summary (sizes, counts)


@dataclass
class EditionContext:
    """What an edition's build step may use. Filled in by tujie/build.py."""

    report: object  # the validated Report
    source: Path
    paths: object  # build.Paths
    theme: object
    stage: Path  # the staging folder: every file written here is delivered
    stem: str  # file name stem with the revision, e.g. qiantang-2021-r1
    laid: list = field(default_factory=list)  # the booklet's parts (tujie/parts.py), [] if not laid out
    parts_dir: Path | None = None
    parallel: bool = True
    made: dict = field(default_factory=dict)  # edition name → Made, or still running
    pool: object = None  # a resident builder's layout workers (tujie/warm.py), idle while editions are made
    kept: dict | None = None  # what a resident builder keeps from one build to the next (tujie/warm.py)

    def result(self, name: str) -> Made:
        """What an earlier edition made, waiting for it if it is still running."""
        made = self.made[name]
        if not isinstance(made, Made):
            made = self.made[name] = made.result()
        return made

    def file(self, name: str) -> Path:
        return self.result(name).files[0]

    def part_files(self, edition: str) -> list[Path]:
        """The laid-out parts' PDFs for ``edition`` ("screen" or "print"), in booklet order."""
        return [part.pdf(self.parts_dir, edition) for part in self.laid]

    def part_prints(self) -> list[list[str] | None]:
        """The fingerprints of the parts' screen pages where the layout workers found them with the
        salt the page cache uses now; None for a part that has none (it is read from its PDF)."""
        from .build import fonts_digest
        from .editions import fingerprint_salt
        from .parts import prints_tag

        tag = prints_tag(fingerprint_salt(fonts_digest(self.paths.fonts, self.paths.cache)))
        return [part.prints if part.prints_of == tag else None for part in self.laid]


class Edition:
    name: ClassVar[str]
    title: ClassVar[str]
    default: ClassVar[bool] = True  # built when no edition is asked for
    needs: ClassVar[tuple[str, ...]] = ()
    needs_booklet: ClassVar[bool] = True  # reads the laid-out booklet (the web edition does not)
    needs_cmyk: ClassVar[bool] = False  # needs the booklet laid out in CMYK as well
    suffix: ClassVar[str] = ""  # how its main file's name ends
    apart: ClassVar[bool] = False  # built in a forked child: started before the others, which it runs beside

    def file_names(self, stem: str) -> list[str]:
        return [stem + self.suffix]

    def build(self, ctx: EditionContext):
        raise NotImplementedError

    def check(self, path: Path, report=None, geometry=None) -> list:
        raise NotImplementedError

    def claims(self, path: Path) -> int:
        """2: this is one of my files by name; 1: by its kind of file; 0: not mine."""
        if path.is_file() and path.name.endswith(self.suffix):
            return 2
        return 1 if path.is_file() and path.suffix == Path(self.suffix).suffix else 0


class PrintEdition(Edition):
    name, title, suffix = "print", "印刷版（交印刷厂）", "-print.pdf"
    needs_cmyk = True
    apart = True

    def build(self, ctx: EditionContext):
        from .forked import Forked

        args = (ctx.part_files("print"), ctx.paths.fonts, ctx.stage, ctx.stem, ctx.report)
        # joined, finished and checked in a forked child while this process makes the other editions
        return Forked(build_print, *args) if ctx.parallel else build_print(*args)

    def check(self, path: Path, report=None, geometry=None) -> list:
        from .check import check_pdf

        return check_pdf(path, report, geometry)


def build_print(part_files: list[Path], font_dir: Path, stage: Path, stem: str, report) -> Made:
    """Join the parts' CMYK PDFs, add crop marks and the output intent, preflight the result."""
    from . import editions as ed
    from .check import check_pdf
    from .merge import merge_parts

    raw = stage / f".{stem}-print-raw.pdf"
    merge_parts(part_files, raw, font_dir)
    printed = stage / f"{stem}-print.pdf"
    ed.finish_print(raw, printed, report.page.bleed_mm)
    raw.unlink()
    return Made([printed], check_pdf(printed, report))


class ImposedEdition(Edition):
    name, title, suffix = "imposed", "拼版（印刷厂）　", "-imposed.pdf"
    default = False  # only on request (--impose or -e imposed)
    needs = ("print",)
    needs_cmyk = True

    def build(self, ctx: EditionContext) -> Made:
        from . import editions as ed

        imposed = ctx.stage / f"{ctx.stem}{self.suffix}"
        ed.impose(ctx.file("print"), imposed, ed.sheet_mm(ctx.report.page), ctx.report.page.bleed_mm)
        return Made([imposed])

    check = PrintEdition.check


class ScreenEdition(Edition):
    name, title, suffix = "screen", "屏幕版（网站发布）", "-screen.pdf"

    def build(self, ctx: EditionContext):
        args = (ctx.part_files("screen"), ctx.paths.fonts, ctx.stage / f"{ctx.stem}{self.suffix}", ctx.source,
                ctx.report)
        # a resident builder joins (and checks) it in an idle layout worker while this process
        # draws the page pictures from the parts (PagesEdition)
        return ctx.pool.submit(build_screen, *args) if ctx.pool is not None else build_screen(*args)

    check = PrintEdition.check


def build_screen(part_files: list[Path], font_dir: Path, screen: Path, source: Path, report) -> Made:
    """Join the parts' screen PDFs with the report's data attached, and preflight the result."""
    import datetime as dt

    from .check import check_pdf
    from .merge import merge_parts

    revised = dt.datetime.combine(report.report.revision.date, dt.time(), dt.timezone.utc)
    merge_parts(part_files, screen, font_dir, attachments=[source], date=revised)
    return Made([screen], check_pdf(screen, report))


class ImageEdition(Edition):
    name, title, suffix = "image", "长图（微信）　　", "-long.jpg"

    def file_names(self, stem: str) -> list[str]:
        return [stem + self.suffix, f"pages/{stem}-pNN.png"]

    def build(self, ctx: EditionContext) -> Made:
        from . import editions as ed
        from .build import fonts_digest

        long_jpg = ctx.stage / f"{ctx.stem}{self.suffix}"
        # a resident builder keeps one strip, for the next build (its pages are known by their
        # fingerprints, so it serves whichever report comes next; one strip bounds the memory: ~80 MB)
        canvas = ctx.kept.setdefault("long-image", ed.Canvas()) if ctx.kept is not None else None
        thumbs = ed.long_image(ctx.part_files("screen"), long_jpg, ctx.stage / "pages", ctx.stem,
                               cache_dir=ctx.paths.cache / "pages", cache_salt=fonts_digest(ctx.paths.fonts, ctx.paths.cache),
                               canvas=canvas, prints=ctx.part_prints())
        return Made([long_jpg, *thumbs])

    def check(self, path: Path, report=None, geometry=None) -> list:
        from .check import check_long_image

        return check_long_image(path)


class PagesEdition(Edition):
    """One 360-pixel picture a page, for a live preview (``render.py watch``, tujie/warm.py).

    The long image writes the same pictures; this edition skips the long JPEG,
    and draws again only the pages whose content changed (editions.page_fingerprints).
    """

    name, title, suffix = "pages", "页面预览图　　", "-p01.png"
    default = False  # the image edition already delivers them

    def file_names(self, stem: str) -> list[str]:
        return [f"pages/{stem}-pNN.png"]

    def build(self, ctx: EditionContext) -> Made:
        from . import editions as ed
        from .build import fonts_digest

        # from the parts, beside the screen file's join (editions.long_image says why that is the same)
        thumbs = ed.thumbnails(ctx.part_files("screen"), ctx.stage / "pages",
                               ctx.stem, cache_dir=ctx.paths.cache / "pages",
                               cache_salt=fonts_digest(ctx.paths.fonts, ctx.paths.cache), prints=ctx.part_prints())
        return Made(thumbs)

    def check(self, path: Path, report=None, geometry=None) -> list:
        from PIL import Image

        from .check import Finding

        with Image.open(path) as image:
            ok = image.width == 360
            return [Finding(str(path), "预览图", ok, f"{image.width} 像素宽" + ("" if ok else "，应为 360 像素"))]


class WebEdition(Edition):
    """The H5 edition for phones: ``web/`` with index.html and its fonts (tujie/web.py)."""

    name, title = "web", "网页版（手机阅读）"
    apart = True
    needs_booklet = False  # rendered from the report itself, with its own templates (layouts/web/)
    folder = "web"
    max_bytes = 2 * 1024 * 1024

    def file_names(self, stem: str) -> list[str]:
        return [f"{self.folder}/index.html", f"{self.folder}/fonts/*.woff2"]

    def build(self, ctx: EditionContext):
        from .forked import Forked

        args = (ctx.report, ctx.theme, ctx.paths, ctx.stage / self.folder, ctx.source.parent)
        # in a forked child, beside the print file's, while this process joins the screen file and draws the
        # long image: its phone-sized charts and font subsets need nothing of the booklet
        return Forked(build_web, *args, what="网页版") if ctx.parallel else build_web(*args)

    def claims(self, path: Path) -> int:
        if path.is_dir() and path.name == self.folder and (path / "index.html").is_file():
            return 2
        return 2 if path.name == "index.html" and path.parent.name == self.folder else 0

    def check(self, path: Path, report=None, geometry=None) -> list:
        from .check import check_web

        return check_web(path if path.is_dir() else path.parent, self.max_bytes)


def build_web(report, theme, paths, folder: Path, source_dir: Path) -> Made:
    from .web import build_site, write_site

    site = build_site(report, theme, paths.layouts / "web", paths.fonts, paths.cache, source_dir)
    for kind in site.unsupported:
        print(f"提示：网页版还没有“{kind}”块的模板，暂用通用模板显示它的文字（见 layouts/web/README.md）")
    files = write_site(site, folder)
    return Made(files, summary=f"{len(files)} 个文件，共 {site.size / 1024:.0f} KB，打开时 {site.requests} 次请求，"
                               f"全部在 {WebEdition.folder}/ 之内")


# Registration, in build order: an edition comes after those it needs.
EDITIONS: dict[str, Edition] = {e.name: e for e in (PrintEdition(), ScreenEdition(), ImageEdition(), PagesEdition(),
                                                     WebEdition(), ImposedEdition())}
DEFAULT = tuple(name for name, e in EDITIONS.items() if e.default)


def with_needs(names) -> list[str]:
    """The editions to build for ``names``, with those they need, in build order."""
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(EDITIONS[name].needs)
    return [name for name in EDITIONS if name in wanted]


def edition_of(path: Path) -> Edition | None:
    """The edition a file (or folder) of an output folder belongs to, by name first, then by kind."""
    best, score = None, 0
    for edition in EDITIONS.values():
        claim = edition.claims(path)
        if claim > score:
            best, score = edition, claim
    return best
