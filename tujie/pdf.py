"""Stage 4: set the booklet's HTML in WeasyPrint and write PDF files.

Each laid-out document (a part of the booklet, tujie/parts.py) gives both
PDF editions. ``write_screen`` cuts the pages at the trim and writes PDF/A-3a in
sRGB; ``write_print`` keeps the bleed and writes PDF/X-4, sending every
colour through the theme's CMYK table as it is drawn. Laying out is ~85 % of
WeasyPrint's time, so one layout instead of one per edition halves the work.

Three guards sit around WeasyPrint here:

* a URL fetcher that only serves ``data:`` URLs and files inside the project
  folders it is given — report data can never pull in ``/etc/passwd``, a
  device or a network address;
* a log watcher that turns a drawn ``.notdef`` glyph (a character the bundled
  fonts lack) or a refused resource into a build error;
* a check that HarfBuzz's fast font subsetter is present, because without it
  WeasyPrint falls back to fontTools and a build takes ~25× longer.

A revision re-writes a part that is mostly what it was: the same glyphs, and
pages other than the revised one. Writing keeps what that costs most to make
again, both pure functions of their input, so the files are the same bytes:

* each font's subset, per glyph set (:func:`_subsets_kept`): cutting it from
  a 10 MB Chinese font took ~0.03 s a part;
* the deflated form of each large stream, by its content (:func:`_deflate_kept`):
  pydyf compresses at level 9, ~0.03 s a part for subsets and unchanged pages.

A part's HTML is parsed by tujie/fasthtml.py (expat) where that builds the
tree WeasyPrint's own parser would, and handed to WeasyPrint as a tree
(:func:`_html`): tinyhtml5 took ~13 % of a section's layout.

Each of these relies on a WeasyPrint or pydyf function whose source is pinned
by hash here (``PINNED_*``); a test fails when an upgrade changes one.
"""

from __future__ import annotations

import copy
import functools
import ctypes.util
import logging
import hashlib
import weakref
import zlib
from collections import OrderedDict
from datetime import datetime
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import pydyf
from weasyprint import CSS, HTML, Attachment
from weasyprint.document import Document
from weasyprint.pdf.fonts import Font
from weasyprint.pdf.stream import Stream
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from . import typeset
from .errors import ReportError
from .theme import naive_cmyk


class ProjectFetcher(URLFetcher):
    """Serve data: URLs and files under ``roots``; refuse everything else."""

    def __init__(self, roots: list[Path]):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.roots = [root.resolve() for root in roots]

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlparse(url).path)).resolve()
            if path.is_file() and any(path.is_relative_to(root) for root in self.roots):
                return super().fetch(url, headers)
        raise FatalURLFetchingError(f"拒绝读取项目以外的资源：{url}")


class _LogWatcher(logging.Handler):
    """Collect WeasyPrint warnings that mean a wrong-looking booklet."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.missing: list[str] = []
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if ".notdef" in message:
            self.missing.append(message.rsplit(":", 1)[-1].strip())
        elif record.levelno >= logging.ERROR or "Failed to load" in message or "ignored" in message.lower() \
                or "Invalid" in message:
            self.problems.append(message)


@contextmanager
def _watch_weasyprint_log():
    logger = logging.getLogger("weasyprint")
    watcher = _LogWatcher()
    logger.addHandler(watcher)
    try:
        yield watcher
    finally:
        logger.removeHandler(watcher)


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def shared_font_config(font_dir: Path) -> FontConfiguration:
    """One WeasyPrint font configuration for every layout in this process while the fonts stay the same.

    A new FontConfiguration per document reads each bundled font (~10 MB) and
    writes a copy to a temporary folder for fontconfig: ~0.12 s a part. The
    parts all declare the same @font-face rules, which WeasyPrint registers
    once per configuration, so one configuration serves them all.
    """
    state = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(font_dir.glob("*.otf")))
    return _font_config(str(font_dir.resolve()), state)


@functools.lru_cache(maxsize=1)
def _font_config(font_dir: str, state: tuple) -> FontConfiguration:
    return FontConfiguration()


def load_fonts(font_dir: Path, font_files: dict[int, str]) -> None:
    """Fill :func:`shared_font_config` with the bundled fonts, declared as the booklet declares them.

    Done ahead, in a process about to fork layout workers (or while it waits
    for the charts), so that the workers start with the fonts loaded."""
    faces = "".join(f'@font-face {{ font-family: "Noto Sans SC"; font-weight: {weight}; src: url("{uri}"); }}\n'
                    for weight, uri in font_files.items())
    html = (f"<html><head><style>{faces}body {{ font-family: 'Noto Sans SC'; }}</style></head><body><p>图解 0123 "
            + "".join(f"<span style='font-weight: {weight}'>图解</span>" for weight in font_files) + "</p></body></html>")
    paginate(html, font_dir, [font_dir], shared_font_config(font_dir))


def paginate(html: str, base_dir: Path, roots: list[Path], font_config: FontConfiguration | None = None,
             stylesheets: tuple[str, ...] = ()) -> Document:
    """Lay out ``html`` into pages. Raise ReportError on refused or broken resources.

    ``font_config``: a configuration to reuse (:func:`shared_font_config`); a new one if None.
    ``stylesheets``: CSS texts for an HTML with no ``<style>`` of its own (a part of the
    booklet, tujie/layout.BookletHtml.stylesheets). With a shared font configuration each
    is parsed once per process (~0.07 s for the booklet's 20 KB)."""
    typeset.install()  # Chinese justification, line breaking and punctuation (W3C clreq)
    fetcher = ProjectFetcher(roots)
    with _watch_weasyprint_log() as watcher:
        try:
            # kept per process only with a shared font configuration, which holds their @font-face rules
            parse = _parse if font_config is None else _parsed
            font_config = font_config or FontConfiguration()
            sheets = parse(tuple(stylesheets), str(base_dir), tuple(fetcher.roots), font_config)
            # fresh profiles and a copy of the counter styles: what the document's own HTML adds must
            # not stay for the next document
            document = _html(html, str(base_dir) + "/", fetcher).render(
                font_config=font_config, stylesheets=sheets.css, color_profiles=sheets.fresh_profiles(),
                counter_style=copy.copy(sheets.counters))
        except FatalURLFetchingError as exc:
            raise ReportError(str(exc)) from None
    if watcher.problems:
        shortened = [p if len(p) < 160 else p[:100] + "…" + p[-40:] for p in watcher.problems[:5]]
        raise ReportError("排版时出现问题：" + "；".join(shortened))
    return document


# HTML.__init__'s source (WeasyPrint 70.0): it parses with tinyhtml5, then keeps the base URL (made a URL
# by select_source), the fetcher, the media type and cssselect2's wrapper of the tree, which _html sets
# from a tree of its own
PINNED_HTML_INIT = "5f19f40b81837f87ae7af8e5c53d5f11e7c98ba245094a86d45f5f14d001b943"


def _html(text: str, base_url: str, fetcher: URLFetcher) -> HTML:
    """WeasyPrint's HTML for ``text``, parsed by tujie/fasthtml.py where that gives the same tree."""
    import cssselect2
    from weasyprint import _find_base_url
    from weasyprint.urls import ensure_url

    from . import fasthtml

    root = fasthtml.parse(text)
    if root is None:
        return HTML(string=text, base_url=base_url, url_fetcher=fetcher)
    html = HTML.__new__(HTML)
    html.base_url = _find_base_url(root, ensure_url(base_url))  # as select_source makes it a URL
    html.url_fetcher = fetcher
    html.media_type = "print"
    html.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    html.etree_element = html.wrapper_element.etree_element
    return html


class _Sheets:
    """Parsed style sheets with the @color-profile and @counter-style rules they declare.

    WeasyPrint takes them as "user" style sheets. For an HTML without a style sheet
    of its own that cascades exactly as the same CSS inline would: style attributes
    still win over normal rules and lose to !important ones."""

    def __init__(self):
        from weasyprint.css.counters import CounterStyle

        self.css, self.profiles, self.counters, self._icc = [], {}, CounterStyle(), {}

    def add(self, text: str, base_dir: Path, fetcher: URLFetcher, font_config: FontConfiguration) -> None:
        self.css.append(CSS(string=text, base_url=str(base_dir) + "/", url_fetcher=fetcher, font_config=font_config,
                            color_profiles=self.profiles, counter_style=self.counters))
        self._icc = {name: profile.content for name, profile in self.profiles.items()}

    def fresh_profiles(self) -> dict:
        """New profile objects for each document: LittleCMS serialises a profile that converted a
        picture differently (+52 bytes), so a shared one would make the print file depend on
        what the process laid out before, and its parts embed two copies of the CMYK profile."""
        from io import BytesIO

        from weasyprint.css import ColorProfile

        return {name: ColorProfile(BytesIO(self._icc[name]), p.src, p.rendering_intent, p.components)
                for name, p in self.profiles.items()}


def _parse(stylesheets: tuple[str, ...], base_dir: str, roots: tuple[Path, ...],
           font_config: FontConfiguration) -> _Sheets:
    # a sheet WeasyPrint complains about is raised here, so that :func:`_parsed` never keeps it:
    # parsed again next time, it is refused again instead of passing silently
    sheets = _Sheets()
    with _watch_weasyprint_log() as watcher:
        for text in stylesheets:
            sheets.add(text, Path(base_dir), ProjectFetcher(list(roots)), font_config)
    if watcher.problems:
        raise ReportError("样式表有问题：" + "；".join(p[:160] for p in watcher.problems[:5]))
    return sheets


_parsed = functools.lru_cache(maxsize=8)(_parse)  # one process's parsed sheets, by text and font configuration


def write(document: Document, target: Path, *, variant: str | None = None,
          attachments: list[Path] = (), date: datetime | None = None) -> None:
    """Write a laid-out document as PDF; raise ReportError if a glyph is missing.

    Glyphs are looked up while drawing, so a ``.notdef`` shows up only here;
    callers write to a staging file and discard it on error.
    """
    options = {"pdf_variant": variant} if variant else {}
    if attachments:
        options["attachments"] = [
            Attachment(filename=str(path), name=path.name, description="报告数据（YAML）",
                       created=date, modified=date, relationship="Source")
            for path in attachments
        ]
    # the stand-ins below replace module attributes for the length of one write, so writes within a
    # process must not overlap: the resident builder, the daemon and the editor write in processes, not threads
    with _watch_weasyprint_log() as watcher, _subsets_kept(document.font_config), _deflate_kept():
        document.write_pdf(target, **options)
    if watcher.problems:  # e.g. a chart SVG that failed to draw: never ship a page with a hole
        shortened = [p if len(p) < 160 else p[:100] + "…" + p[-40:] for p in watcher.problems[:5]]
        raise ReportError("生成 PDF 时出现问题：" + "；".join(shortened))
    if watcher.missing:
        chars = "、".join(sorted(set(watcher.missing)))
        raise ReportError(f"字体里没有这些字符，排出来会是方框：{chars}。请改用常用字，或在 fonts/ 里补充字库")


# Font.clean's source (WeasyPrint 70.0), whose result _subsets_kept reuses: it cuts the subset of the
# glyphs given from the face, then changes it only for variable, bitmap-emoji and colour fonts
PINNED_CLEAN = "794f0211f18453f1a291056fcd6659cdcb262f7c1133cf5b2ea015df379c6813"
_KEPT_SUBSETS = 64  # per font configuration: a booklet's parts use ~10 glyph sets of ~4 fonts, ~0.1 MB each
_subsets: "weakref.WeakKeyDictionary[FontConfiguration, OrderedDict]" = weakref.WeakKeyDictionary()


@contextmanager
def _subsets_kept(font_config: FontConfiguration | None):
    """While writing, take a font's subset from the last write that used the same glyphs of it.

    WeasyPrint cuts each font's subset anew on every write. The subsets are
    kept with the font configuration, whose faces they are cut from, so a font
    that changed on disk (a new configuration, :func:`shared_font_config`)
    never gets an old subset. Variable, bitmap and colour fonts, which
    ``clean`` alters further, are left to WeasyPrint.
    """
    if font_config is None:
        yield
        return
    kept = _subsets.setdefault(font_config, OrderedDict())
    original = Font.clean

    def clean(font, to_unicode, hinting):
        if not to_unicode or font.bitmap or font.png or font.svg or font.colr or "fvar" in font.tables:
            return original(font, to_unicode, hinting)
        key = (font.name, font.index, tuple(sorted(to_unicode)), hinting, tuple(sorted(font.missing.items())))
        if key in kept:
            kept.move_to_end(key)
            font.file_content = kept[key]
            return
        whole = font.file_content
        original(font, to_unicode, hinting)
        if font.file_content is whole:
            return  # not subset (WeasyPrint has warned): nothing worth keeping
        kept[key] = font.file_content
        if len(kept) > _KEPT_SUBSETS:
            kept.popitem(last=False)

    Font.clean = clean
    try:
        yield
    finally:
        Font.clean = original


# pydyf.Stream.data's source (pydyf 0.13.0): one compressobj(level=9) per stream, fed once, then flushed
PINNED_DEFLATE = "bdc2bc513f286de7b7a7220a43e6085daa6ed0056d9c04e3c9b5abe40f3ecf81"
_DEFLATE_FROM = 16 * 1024  # smaller streams deflate in well under a millisecond: not worth a digest
_DEFLATED_BYTES = 32 * 1024 * 1024  # kept per process, oldest dropped first (a booklet's: ~3 MB)
_deflated: OrderedDict[tuple, bytes] = OrderedDict()


class _KeptDeflate:
    """A ``zlib.compressobj`` for pydyf that looks a large stream up before deflating it."""

    def __init__(self, level: int = zlib.Z_DEFAULT_COMPRESSION):
        self.level, self.fed = level, []

    def compress(self, data: bytes) -> bytes:
        self.fed.append(data)
        return b""  # all of it comes out of flush, as zlib's own may

    def flush(self) -> bytes:
        data = b"".join(self.fed)
        if len(data) < _DEFLATE_FROM:
            return zlib.compress(data, self.level)
        key = (self.level, len(data), hashlib.blake2b(data, digest_size=16).digest())
        if key in _deflated:
            _deflated.move_to_end(key)
            return _deflated[key]
        packed = _deflated[key] = zlib.compress(data, self.level)
        kept = sum(map(len, _deflated.values()))
        while kept > _DEFLATED_BYTES and len(_deflated) > 1:
            kept -= len(_deflated.popitem(last=False)[1])
        return packed


@contextmanager
def _deflate_kept():
    """While writing, pydyf deflates each large stream it has deflated before from memory.

    pydyf calls ``zlib.compressobj`` by module name; the stand-in has the zlib
    functions pydyf uses, and deflates as zlib does (the same bytes).
    """
    original = pydyf.zlib
    pydyf.zlib = type("zlib", (), {"compressobj": staticmethod(_KeptDeflate), "compress": staticmethod(zlib.compress)})
    try:
        yield
    finally:
        pydyf.zlib = original


def write_screen(document: Document, target: Path, *, attachments: list[Path] = (),
                 date: datetime | None = None) -> None:
    """The screen edition: PDF/A-3a, tagged, sRGB, pages cut at the trim."""
    pages = []
    for page in document.pages:
        trimmed = copy.copy(page)  # the layout's pages stay as they are for the print file
        trimmed.bleed = dict.fromkeys(page.bleed, 0)
        pages.append(trimmed)
    screen = document.copy(pages)
    # the CMYK profile is the print file's business: not embedded, not the output intent
    screen.color_profiles = {k: v for k, v in document.color_profiles.items() if k != "device-cmyk"}
    screen.output_intent = "srgb"
    write(screen, target, variant="pdf/a-3a", attachments=attachments, date=date)


def write_print(document: Document, target: Path, cmyk_table: dict[str, tuple[float, ...]]) -> None:
    """The print edition: PDF/X-4 with the bleed, every colour in CMYK.

    ``cmyk_table`` maps the theme's hex RGB colours to their designed CMYK;
    any other colour (matplotlib's black and white) gets a plain conversion.
    """
    printed = document.copy()
    printed.output_intent = "device-cmyk"  # also makes transparency groups DeviceCMYK
    with _colours_in_cmyk(cmyk_table):
        write(printed, target, variant="pdf/x-4")


@contextmanager
def _colours_in_cmyk(table: dict[str, tuple[float, ...]]):
    """While drawing, turn each sRGB colour WeasyPrint sets into device-cmyk.

    Every fill and stroke colour (text, backgrounds, borders, SVG charts and
    icons) passes through ``Stream.set_color``; swapping it for the length of
    one write keeps the layout itself colour-blind. Alpha is kept.
    """
    from tinycss2.color5 import parse_color

    original = Stream.set_color
    converted = {}

    def to_cmyk(color):
        key = (color.space, *color)
        if key not in converted:
            r, g, b = color.to("srgb").coordinates
            hex_rgb = "#" + "".join(f"{round(v * 255):02x}" for v in (r, g, b))
            c, m, y, k = table.get(hex_rgb) or naive_cmyk(r, g, b)
            cmyk = parse_color(f"device-cmyk({c:g} {m:g} {y:g} {k:g})")
            cmyk.alpha = color.alpha
            converted[key] = cmyk
        return converted[key]

    def set_color(stream, color, stroke=False):
        if color.space in ("srgb", "hsl", "hwb"):
            color = to_cmyk(color)
        original(stream, color, stroke)

    Stream.set_color = set_color
    try:
        yield
    finally:
        Stream.set_color = original
