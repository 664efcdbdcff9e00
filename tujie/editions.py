"""Stage 5: turn typeset PDFs into the files each audience needs.

* print: PDF/X-4 in CMYK (tujie/pdf.py, tujie/merge.py), finished here with crop marks in a
  slug outside the bleed (MediaBox grows, the BleedBox is the bleed asked for), a correct
  output intent, and optionally an imposed file of saddle-stitch spreads;
* screen: PDF/A-3a in sRGB, the report data attached (made by tujie/pdf.py
  and tujie/merge.py);
* image: a long JPEG for WeChat (1080 px wide) and one PNG thumbnail a page,
  rendered from the screen PDF with pdfium.

Everything here is plain PDF surgery with pikepdf and rendering with
pypdfium2; nothing is laid out again.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pypdfium2
from PIL import Image

MM = 72 / 25.4  # PDF points per millimetre
_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")  # a name token in a content stream
SLUG_MM = 12  # room beyond the trim for bleed, a gap and the marks (more for a bleed over 6 mm)
MARK_GAP_MM = 1  # marks start this far outside the bleed, never on the artwork
MARK_LENGTH_MM = 5
MARK_WIDTH_PT = 0.25
REGISTRATION = "1 1 1 1 K"  # crop marks print on every separation


def _box(page: pikepdf.Page, name: str) -> list[float]:
    return [float(v) for v in page.obj.get(name, page.obj.MediaBox)]


def crop_mark_ops(trim: list[float], bleed_pt: float, fold_x: float | None = None) -> str:
    """PDF operators drawing crop marks around ``trim`` (x0 y0 x1 y1), outside the bleed."""
    x0, y0, x1, y1 = trim
    start = bleed_pt + MARK_GAP_MM * MM
    end = start + MARK_LENGTH_MM * MM
    lines = []
    for x, y, sx, sy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        lines.append((x + sx * start, y, x + sx * end, y))  # horizontal mark on the trim line
        lines.append((x, y + sy * start, x, y + sy * end))  # vertical mark on the trim line
    if fold_x is not None:  # fold mark at the spine of a spread
        lines.append((fold_x, y0 - start, fold_x, y0 - end))
        lines.append((fold_x, y1 + start, fold_x, y1 + end))
    ops = [f"q {REGISTRATION} {MARK_WIDTH_PT} w 0 J"]
    ops += [f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for a, b, c, d in lines]
    ops.append("Q")
    return "\n".join(ops)


def content_document_id(pdf: pikepdf.Pdf) -> str:
    """An XMP DocumentID derived from what the pages draw instead of a random UUID.

    WeasyPrint writes a fresh uuid4 into PDF/X metadata (and an /ID hashed from
    it) on every run; hashing the page streams and the document info instead
    makes two builds of the same inputs byte-identical.
    """
    digest = hashlib.sha256()
    for page in pdf.pages:
        digest.update(page.obj.Contents.read_bytes() if isinstance(page.obj.Contents, pikepdf.Stream)
                      else b"".join(c.read_bytes() for c in page.obj.Contents))
    digest.update(repr(sorted((str(k), str(v)) for k, v in pdf.docinfo.items())).encode())
    return "xmp.did:" + str(uuid.UUID(bytes=digest.digest()[:16], version=5))


def finish_print(pdf_path: Path, out_path: Path, bleed_mm: float) -> None:
    """Add crop marks in a slug around each page; fix WeasyPrint's CMYK output intent."""
    with pikepdf.open(pdf_path) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            if meta.get("xmpMM:DocumentID"):
                meta["xmpMM:DocumentID"] = content_document_id(pdf)
        for intent in pdf.Root.get("/OutputIntents", []):
            # WeasyPrint 70 writes /N 1 for a four-component profile
            intent.DestOutputProfile.N = 4
        for number, page in enumerate(pdf.pages, 1):
            trim = _box(page, "/TrimBox")
            bleed = bleed_box(trim, _box(page, "/MediaBox"), bleed_mm, number)
            slug = max(SLUG_MM, bleed_mm + MARK_GAP_MM + MARK_LENGTH_MM + 1) * MM
            page.obj.MediaBox = pikepdf.Array([trim[0] - slug, trim[1] - slug, trim[2] + slug, trim[3] + slug])
            page.obj.BleedBox = pikepdf.Array(bleed)
            page.obj.TrimBox = pikepdf.Array(trim)
            page.obj.CropBox = page.obj.MediaBox
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, ("\nQ\n" + crop_mark_ops(trim, bleed_mm * MM)).encode()))
        # qpdf keeps an existing /ID's first half, and WeasyPrint's came from the random UUID
        del pdf.trailer["/ID"]
        pdf.save(out_path, deterministic_id=True)


def bleed_box(trim: list[float], media: list[float], bleed_mm: float, number: int) -> list[float]:
    """The BleedBox the report asks for: the trim grown by ``bleed_mm`` on every side.

    WeasyPrint 70 (weasyprint/pdf/__init__.py) lays the page out on a MediaBox
    grown by the CSS ``bleed`` but caps its BleedBox at 10 pt (3.5 mm) beyond
    the trim, so a 5 mm bleed came out as 3.5 mm. The artwork does reach the
    MediaBox, so the requested box is set here, after checking it lies within.
    """
    bleed = bleed_mm * MM
    box = [trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed]
    if any(abs(a - b) > 0.05 * MM for a, b in zip(box, media)):
        from .errors import ReportError

        raise ReportError(f"第 {number} 页排出的画面没有延伸到 {bleed_mm:g} 毫米出血（版式的问题）")
    return box


def saddle_stitch_order(pages: int) -> list[tuple[int, int]]:
    """Printer spreads (left, right), 1-based, front and back of each sheet.

    For 16 pages: 16|1, 2|15, 14|3, 4|13, …
    """
    if pages % 4:
        raise ValueError("saddle stitching needs a multiple of four pages")
    spreads = []
    for sheet in range(pages // 4):
        spreads.append((pages - 2 * sheet, 2 * sheet + 1))
        spreads.append((2 * sheet + 2, pages - 2 * sheet - 1))
    return spreads


IMPOSED_KEY = "/TujieImposed"  # docinfo flag: pages are printer spreads, not reader pages

# SRA3 holds an A3 spread (two A4 pages) with bleed and marks
SHEET_MM = {"A4": (450, 320), "A5": (320, 225), "B5": (386, 280), "16K": (400, 290), "正16开": (400, 290),
            "大16开": (450, 320)}


def sheet_mm(page) -> tuple[float, float]:
    """The press sheet for a spread of two pages: the usual one for a named size, else the spread with room for bleed and marks."""
    if page.size in SHEET_MM:
        return SHEET_MM[page.size]
    return (2 * page.width_mm + 2 * (page.bleed_mm + 17), page.height_mm + 2 * (page.bleed_mm + 12))


def impose(print_pdf: Path, out_path: Path, sheet: tuple[float, float], bleed_mm: float) -> list[tuple[int, int]]:
    """Write saddle-stitch spreads, each centred on its own sheet with its own marks."""
    with pikepdf.open(print_pdf) as source, pikepdf.new() as imposed:
        order = saddle_stitch_order(len(source.pages))
        trim = _box(source.pages[0], "/TrimBox")
        width, height = trim[2] - trim[0], trim[3] - trim[1]
        sheet_w, sheet_h = (v * MM for v in sheet)
        sx, sy = (sheet_w - 2 * width) / 2, (sheet_h - height) / 2
        bleed = bleed_mm * MM
        forms = [imposed.copy_foreign(page.as_form_xobject()) for page in source.pages]
        for left, right in order:
            page = imposed.add_blank_page(page_size=(sheet_w, sheet_h))
            xobjects = pikepdf.Dictionary()
            page.obj.Resources = pikepdf.Dictionary(XObject=xobjects)
            ops = []
            for n, (number, x_off) in enumerate(((left, sx), (right, sx + width))):
                src_trim = _box(source.pages[number - 1], "/TrimBox")
                clip_x0 = x_off - bleed if n == 0 else x_off
                clip_x1 = x_off + width if n == 0 else x_off + width + bleed
                name = f"/P{number}"
                xobjects[name] = forms[number - 1]
                ops.append(
                    f"q {clip_x0:.3f} {sy - bleed:.3f} {clip_x1 - clip_x0:.3f} {height + 2 * bleed:.3f} re W n "
                    f"1 0 0 1 {x_off - src_trim[0]:.3f} {sy - src_trim[1]:.3f} cm {name} Do Q"
                )
            spread = [sx, sy, sx + 2 * width, sy + height]
            ops.append(crop_mark_ops(spread, bleed, fold_x=sx + width))
            page.obj.Contents = imposed.make_stream("\n".join(ops).encode())
            page.obj.TrimBox = pikepdf.Array(spread)
            page.obj.BleedBox = pikepdf.Array([spread[0] - bleed, spread[1] - bleed, spread[2] + bleed, spread[3] + bleed])
        if "/OutputIntents" in source.Root:
            imposed.Root.OutputIntents = pikepdf.Array(
                [imposed.copy_foreign(source.make_indirect(intent)) for intent in source.Root.OutputIntents])
        # same identity as the print file it was made from, marked as imposed
        imposed.Root.Metadata = imposed.copy_foreign(source.Root.Metadata)
        imposed.Root.Lang = source.Root.get("/Lang", pikepdf.String("zh-CN"))
        for key, value in source.docinfo.items():
            imposed.docinfo[key] = value
        imposed.docinfo["/Title"] = str(source.docinfo.get("/Title", "")) + "（拼版）"
        imposed.docinfo[IMPOSED_KEY] = True
        imposed.save(out_path, deterministic_id=True)
        return order


def page_fingerprints(pdf_path: Path, salt: bytes = b"") -> list[str]:
    """A hash per page of everything that decides how it looks, for the page image cache.

    The page's content stream and those of the forms it draws (charts, icons),
    plus the name (without subset tag) of each font it uses. WeasyPrint
    subsets fonts keeping glyph ids, so a glyph id names the same glyph of
    the same bundled font however the subset grows; ``salt`` (a hash of the
    bundled font files) covers a change of the fonts themselves. Pages whose
    hash is unchanged need not be rendered again.
    """
    prints = []
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            digest = hashlib.sha256(salt)
            digest.update(repr([float(v) for v in page.obj.MediaBox]).encode())
            _digest_content(digest, page.obj, set())
            prints.append(digest.hexdigest()[:32])
    return prints


def _font_digest(font) -> bytes:
    return str(font.get("/BaseFont", "")).partition("+")[2].encode()


def _digest_content(digest, obj, seen: set) -> None:
    """Hash a page or form: its stream, and the resources its stream names.

    WeasyPrint gives every page one shared resource dictionary (all fonts,
    forms and graphics states of the document), so only the entries this
    stream actually uses may count, or one changed chart would change every
    page's hash.
    """
    contents = obj.get("/Contents")
    if contents is not None:
        streams = [s.read_bytes() for s in (contents if isinstance(contents, pikepdf.Array) else [contents])]
    else:
        streams = [obj.read_bytes()]
    for data in streams:
        digest.update(data)
    used = {"/" + name.decode("latin-1") for data in streams for name in _NAME.findall(data)}
    resources = obj.get("/Resources") or {}
    for name, font in sorted((resources.get("/Font") or {}).items()):
        if name in used:
            digest.update(name.encode() + _font_digest(font))
    for key in ("/ExtGState", "/ColorSpace", "/Pattern", "/Shading"):
        for name, value in sorted((resources.get(key) or {}).items()):
            if name in used:
                digest.update(name.encode() + repr(value).encode()[:4096])
    for name, xobj in sorted((resources.get("/XObject") or {}).items()):
        if name not in used or xobj.objgen in seen:
            continue
        seen.add(xobj.objgen)
        digest.update(name.encode())
        if xobj.get("/Subtype") == "/Image":
            digest.update(xobj.read_raw_bytes())
        else:
            _digest_content(digest, xobj, seen)


@dataclass
class Canvas:
    """A long image's strip, kept by a resident builder (tujie/warm.py) for its next long image:
    the pages whose fingerprints did not change are already on it, so they are not decoded and
    pasted again (13 of the default report's 16 pages after a one-figure revision: 0.13-0.19 s
    of the image edition's 0.19-0.25 s besides the pages it draws). A page is known by its
    fingerprint, so a strip of another report is simply repainted."""

    image: Image.Image | None = None
    keys: list[str] = field(default_factory=list)  # page_fingerprints of the pages on it, in order
    heights: list[int] = field(default_factory=list)


def long_image(pdfs: list[Path], jpeg_path: Path, pages_dir: Path, stem: str, *,
               width_px: int = 1080, thumb_px: int = 360, gap_px: int = 24,
               cache_dir: Path | None = None, cache_salt: bytes = b"", canvas: Canvas | None = None,
               prints: list | None = None) -> list[Path]:
    """Stack the pages of ``pdfs`` (the screen file, or its parts in order) into one JPEG
    ``width_px`` wide; write a PNG thumbnail a page.

    With ``cache_dir``, page renderings and thumbnails are kept by
    :func:`page_fingerprints` (salted with ``cache_salt``), and only pages
    that changed are rendered again. A page of a part and the same page of the
    joined file draw the same pixels and have the same fingerprint (the join
    keeps content streams and glyph ids), so the booklet's editions draw from
    the parts, beside the join instead of after it. ``canvas`` (with ``cache_dir``):
    the strip of the last call, reused and updated in place. ``prints``: the pages' fingerprints,
    PDF by PDF, where the layout workers found them (None: read from the files).
    """
    pages_dir.mkdir(parents=True, exist_ok=True)
    docs = [pypdfium2.PdfDocument(str(path)) for path in pdfs]
    thumbs: list[Path] = []
    try:
        # each page's height at width_px, worked out as pypdfium2 does when it renders, so that the
        # strip is allocated first and every page pasted and freed at once: the 16 pages of the
        # default booklet held until the end took ~80 MB beside the strip's own ~80 MB
        heights = [math.ceil(height * (width_px / width))
                   for doc in docs for width, height in (doc.get_page_size(i) for i in range(len(doc)))]
        size = (width_px, sum(heights) + gap_px * (len(heights) - 1))
        kept = canvas.keys if canvas is not None and cache_dir is not None and canvas.heights == heights \
            and canvas.image is not None and canvas.image.size == size else []
        if kept:
            strip = canvas.image
        else:
            if canvas is not None:
                canvas.image = None  # freed before the new strip is made
            strip = Image.new("RGB", size, (226, 230, 236))
        if canvas is not None:
            canvas.keys = []  # until every page is on it: a failure halfway leaves no strip to trust
        keys, y = [], 0
        for n, page in enumerate(_pages(pdfs, docs, width_px, thumb_px, cache_dir, cache_salt, prints)):
            thumbs.append(_thumbnail(page, thumb_px, pages_dir / f"{stem}-p{n + 1:02d}.png"))
            cached = page.full is not None and page.full.is_file()
            if cached:
                os.utime(page.full)  # recently used (on the kept strip too): kept when the cache is pruned
            if kept and kept[n] == page.key:
                pass  # on the kept strip already
            elif cached:
                with Image.open(page.full) as image:
                    strip.paste(image, (0, y))
            else:
                image = _render(page, width_px)
                strip.paste(image, (0, y))
                if page.full is not None:
                    # near-lossless JPEG: it only ever goes into the long JPEG, and decodes four times
                    # faster than PNG
                    _cache_file(page.full, lambda tmp: image.save(tmp, "JPEG", quality=95, subsampling=0))
                image.close()
            y += heights[n] + gap_px
            keys.append(page.key)
    finally:
        for doc in docs:
            doc.close()
    if canvas is not None and cache_dir is not None:
        canvas.image, canvas.keys, canvas.heights = strip, keys, heights
    buffer = io.BytesIO()
    strip.save(buffer, "JPEG", quality=82)
    jpeg_path.write_bytes(buffer.getvalue())
    return thumbs


def thumbnails(pdfs: list[Path], pages_dir: Path, stem: str, *, width_px: int = 1080, thumb_px: int = 360,
               cache_dir: Path, cache_salt: bytes = b"", prints: list | None = None) -> list[Path]:
    """:func:`long_image`'s thumbnails alone, for a live preview (tujie/warm.py)."""
    pages_dir.mkdir(parents=True, exist_ok=True)
    docs = [pypdfium2.PdfDocument(str(path)) for path in pdfs]
    try:
        return [_thumbnail(page, thumb_px, pages_dir / f"{stem}-p{n + 1:02d}.png")
                for n, page in enumerate(_pages(pdfs, docs, width_px, thumb_px, cache_dir, cache_salt, prints))]
    finally:
        for doc in docs:
            doc.close()


@dataclass
class _Page:
    """A page of one of the PDFs, with its fingerprint and where its pictures are kept (None: no cache)."""

    doc: object  # pypdfium2.PdfDocument
    index: int
    key: str | None
    full: Path | None  # the page at the long image's width, JPEG
    small: Path | None  # its thumbnail, PNG


def _pages(pdfs: list[Path], docs: list, width_px: int, thumb_px: int, cache_dir: Path | None, cache_salt: bytes,
           known: list | None = None):
    """Every page of ``pdfs``, in order. ``known``: for each PDF, its pages' fingerprints as the layout
    worker that wrote it found them (:func:`fingerprint_salt`), or None to read them from the file."""
    for path, doc, given in zip(pdfs, docs, known or [None] * len(pdfs)):
        if not cache_dir:
            prints = [None] * len(doc)
        elif given is not None and len(given) == len(doc):
            prints = given
        else:
            prints = page_fingerprints(path, fingerprint_salt(cache_salt))
        for i, key in enumerate(prints):
            yield _Page(doc, i, key, cache_dir / f"{key}-{width_px}.jpg" if key else None,
                        cache_dir / f"{key}-{thumb_px}.png" if key else None)


# how the pictures are made, in their cache keys: pictures made another way are made again
_DRAWN_AS = b"pdfium-2x-box-exact png-level-1 jpeg-95"


def fingerprint_salt(cache_salt: bytes) -> bytes:
    """The salt of the page fingerprints that key the page cache (``cache_salt``: the bundled fonts' digest).

    A layout worker fingerprints each part it writes with it (tujie/parts.lay_out), so that
    the image and pages editions need not open every part again (~0.09 s of a warm revision's
    long image, in the main process after the layout)."""
    return cache_salt + _DRAWN_AS


def _render(page: _Page, width_px: int) -> Image.Image:
    pdf_page = page.doc[page.index]
    try:
        image = pdf_page.render(scale=width_px / pdf_page.get_width()).to_pil()
    finally:
        pdf_page.close()
    return image if image.mode == "RGB" else image.convert("RGB")


def _thumbnail(page: _Page, thumb_px: int, thumb_path: Path) -> Path:
    """The page's thumbnail, written to ``thumb_path``: from the cache, or drawn.

    Drawn at twice its size and averaged down 2 x 2: 7 ms a page, where drawing at
    1080 pixels and reducing with Lanczos took 20 (and a preview, which has no
    long image, kept the 1080-pixel picture too). Drawn at its own size, PDFium
    mangles the first digit of some chart labels. zlib level 1: 5 ms instead of
    10-18, files 2 % larger.
    """
    if page.small is not None and page.small.is_file():
        os.utime(page.small)
        shutil.copyfile(page.small, thumb_path)
        return thumb_path
    drawn = _render(page, 2 * thumb_px)
    if drawn.width != 2 * thumb_px:
        # PDFium sizes the bitmap as ceil(width × scale) with a float32 width: for some page widths
        # (216 mm, 100 mm, …) that is one pixel more
        wide, drawn = drawn, drawn.crop((0, 0, 2 * thumb_px, drawn.height))
        wide.close()
    image = drawn.reduce(2)
    drawn.close()
    image.save(thumb_path, compress_level=1)
    image.close()
    if page.small is not None:
        _cache_file(page.small, lambda tmp: shutil.copyfile(thumb_path, tmp))
    return thumb_path


def _cache_file(path: Path, write) -> None:
    """Store a cache entry by ``write(temporary path)`` and a rename; a cache that cannot be written only costs time."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
