"""Stage 4b: join the PDFs of the booklet's parts into one file with pikepdf.

Each part (tujie/parts.py) is a complete PDF written by WeasyPrint. Joining
them means more than appending pages; what WeasyPrint wrote per part is
rebuilt for the whole file:

* bookmarks: each part's outline, in order, pointing at the joined pages;
* named destinations: every part's anchors in one name tree;
* links between parts: WeasyPrint wrote them as ``tujie-dest:NAME`` URI
  links (the anchor was in another document); they become links to the
  named destination NAME;
* the tag tree (PDF/A-3a, screen file): each part's top-level structure
  elements go under the first part's ``Document`` element, and the parent
  tree keys of later parts are shifted past those of earlier ones;
* colour profiles: identical ICC streams are stored once;
* attachments (the report's YAML) are added here, so that a revision of the
  data alone does not invalidate any part.

* fonts: each part embeds its own subset of each bundled font. WeasyPrint
  subsets keeping glyph ids, so a glyph id means the same glyph in every
  part; the joined file gets one subset per font, cut from the bundled font
  (HarfBuzz, through uharfbuzz) for the union of the glyphs all parts use,
  with the parts' widths and Unicode maps merged. Without this the screen
  file would be 3.6× larger. A process keeps the last few subsets it cut:
  a revision's parts mostly use the glyphs the last join's did.

The first part supplies the catalogue: metadata, output intent, language,
viewer preferences.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import zlib
from datetime import datetime
from pathlib import Path

import pikepdf
import uharfbuzz as hb
from fontTools.ttLib import TTFont
from pikepdf import Name

from .errors import ReportError
from .layout import PART_LINK


def merge_parts(parts: list[Path], target: Path, font_dir: Path, *, attachments: list[Path] = (),
                date: datetime | None = None) -> None:
    """Write ``parts`` (PDFs, first one the front) as one PDF at ``target``.

    ``font_dir`` holds the bundled fonts the parts' font subsets were cut from.
    """
    with pikepdf.open(parts[0]) as merged:
        outline = _outline_items(merged, 0)
        dests = _named_dests(merged, 0)
        tags = _TagTree(merged)
        sources = []
        try:
            for path in parts[1:]:
                part = pikepdf.open(path)
                sources.append(part)
                offset = len(merged.pages)
                outline += _outline_items(part, offset)
                dests.update({k: v for k, v in _named_dests(part, offset).items() if k not in dests})
                merged.pages.extend(part.pages)
                tags.add(part, merged.pages[offset:])
            _write_outline(merged, outline)
            _write_dests(merged, dests)
            _link_across_parts(merged, dests)
            _share_colour_profiles(merged)
            _one_subset_per_font(merged, font_dir)
            for path in attachments:
                _attach(merged, path, date)
            del merged.trailer["/ID"]  # the first part's; the joined file gets its own, from its content
            merged.save(target, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        finally:
            for part in sources:
                part.close()


def _page_indexes(pdf: pikepdf.Pdf, offset: int) -> dict:
    return {page.obj.objgen: offset + i for i, page in enumerate(pdf.pages)}


def _destination(dest, pages: dict):
    """A destination array as (page index in the joined file, the rest of the array)."""
    dest = dest.get("/D", dest) if isinstance(dest, pikepdf.Dictionary) else dest
    if not isinstance(dest, pikepdf.Array) or not len(dest) or dest[0].objgen not in pages:
        return None
    return pages[dest[0].objgen], [dest[i] for i in range(1, len(dest))]


def _outline_items(pdf: pikepdf.Pdf, offset: int) -> list:
    """[(title, destination, children)] of a part's bookmarks."""
    pages = _page_indexes(pdf, offset)

    def walk(item) -> list:
        items = []
        while item is not None:
            dest = _destination(item.get("/Dest"), pages) if "/Dest" in item else None
            first = item.get("/First")
            items.append((str(item.Title), dest, walk(first) if first is not None else []))
            item = item.get("/Next")
        return items

    outlines = pdf.Root.get("/Outlines")
    return walk(outlines.get("/First")) if outlines is not None else []


def _write_outline(pdf: pikepdf.Pdf, items: list) -> None:
    def build(entries) -> list:
        made = []
        for title, dest, children in entries:
            item = pikepdf.OutlineItem(title)
            if dest:
                index, view = dest
                item.destination = pikepdf.Array([pdf.pages[index].obj, *view])
            item.children.extend(build(children))
            made.append(item)
        return made

    with pdf.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(build(items))


def _named_dests(pdf: pikepdf.Pdf, offset: int) -> dict:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    pages = _page_indexes(pdf, offset)
    found = {}
    for name, dest in pikepdf.NameTree(names.Dests).items():
        resolved = _destination(dest, pages)
        if resolved:
            found[name] = resolved
    return found


def _write_dests(pdf: pikepdf.Pdf, dests: dict) -> None:
    tree = pikepdf.NameTree.new(pdf)
    for name in sorted(dests):
        index, view = dests[name]
        tree[name] = pikepdf.Array([pdf.pages[index].obj, *view])
    if "/Names" not in pdf.Root:
        pdf.Root.Names = pikepdf.Dictionary()
    pdf.Root.Names.Dests = tree.obj


def _link_across_parts(pdf: pikepdf.Pdf, dests: dict) -> None:
    """``tujie-dest:NAME`` URI links → links to the named destination NAME."""
    for number, page in enumerate(pdf.pages, 1):
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith(PART_LINK):
                continue
            name = uri[len(PART_LINK):]
            if name not in dests:
                raise ReportError(f"第 {number} 页有一个链接指向不存在的位置“{name}”（版式模板的问题）")
            del annot["/A"]
            annot.Dest = pikepdf.String(name)
            annot.Contents = pikepdf.String(name)


# where a profile can sit below an object's own entries (a form's transparency group, a direct
# resource dictionary's colour spaces); walking every nested dictionary took ~40 ms a join
_HOLDS_COLOUR_SPACES = {"/Group", "/Resources", "/ColorSpace"}
# objects that never hold one, skipped whole: the tag tree alone is ~80 % of a joined file's objects
_HOLD_NO_COLOUR_SPACES = {"/StructElem", "/OBJR", "/MCR", "/Annot", "/FontDescriptor", "/StructTreeRoot"}


def _share_colour_profiles(pdf: pikepdf.Pdf) -> None:
    """Each part embeds the same ICC profiles (in colour spaces and transparency groups); keep one of each."""
    first: dict[bytes, pikepdf.Object] = {}
    for intent in pdf.Root.get("/OutputIntents", []):
        profile = intent.DestOutputProfile
        first.setdefault(hashlib.sha256(profile.read_raw_bytes()).digest(), profile)

    digests: dict[tuple, bytes] = {}  # a profile is referred to from every colour space of its part

    def visit(obj, depth=0):
        items = obj.items() if isinstance(obj, pikepdf.Dictionary) else enumerate(obj)
        for key, value in list(items):
            if isinstance(value, pikepdf.Array) and len(value) == 2 and value[0] == Name.ICCBased:
                profile = value[1]
                digest = digests.get(profile.objgen)
                if digest is None:
                    digest = digests[profile.objgen] = hashlib.sha256(profile.read_raw_bytes()).digest()
                obj[key] = pikepdf.Array([Name.ICCBased, first.setdefault(digest, profile)])
            elif key in _HOLDS_COLOUR_SPACES and isinstance(value, pikepdf.Dictionary) and not value.is_indirect \
                    and depth < 3:
                visit(value, depth + 1)

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            visit(obj.stream_dict)
        elif isinstance(obj, pikepdf.Dictionary):
            if obj.get("/Type") not in _HOLD_NO_COLOUR_SPACES:
                visit(obj)
        elif isinstance(obj, pikepdf.Array):
            visit(obj)


def _attach(pdf: pikepdf.Pdf, path: Path, date: datetime | None) -> None:
    """Attach a source file as PDF/A-3 wants it: listed in the catalogue's /AF, relationship Source."""
    stamp = f"D:{date:%Y%m%d%H%M%S}Z" if date else ""
    spec = pikepdf.AttachedFileSpec(pdf, path.read_bytes(), description="报告数据（YAML）", filename=path.name,
                                    mime_type="application/octet-stream", creation_date=stamp, mod_date=stamp,
                                    relationship=Name.Source)
    pdf.attachments[path.name] = spec
    af = pdf.Root.get("/AF")
    if af is None:
        pdf.Root.AF = af = pikepdf.Array()
    af.append(pdf.attachments[path.name].obj)


class _TagTree:
    """The joined file's structure tree: the first part's, grown by each later part."""

    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        root = pdf.Root.get("/StructTreeRoot")
        self.document = None
        if root is not None:
            kids = root.K if isinstance(root.K, pikepdf.Array) else pikepdf.Array([root.K])
            self.document = kids[0]
            self.nums = root.ParentTree.Nums
            self.next_key = _next_key(root)

    def add(self, part: pikepdf.Pdf, pages) -> None:
        if self.document is None:
            return
        root = part.Root.get("/StructTreeRoot")
        if root is None:
            raise ReportError("分段排版的各部分不一致：有的带结构标签，有的没有")
        offset = self.next_key
        kids = root.K if isinstance(root.K, pikepdf.Array) else pikepdf.Array([root.K])
        document_kids = self.document.K
        # copy_foreign maps references to pages already copied onto those copies
        for kid in kids[0].K:
            del kid["/P"]  # (in the part only) so that copying does not drag the part's whole tree along
            copied = _copy(self.pdf, kid)
            copied.P = self.document
            document_kids.append(copied)
        part_nums = root.ParentTree.Nums
        for i in range(0, len(part_nums), 2):
            self.nums.append(int(part_nums[i]) + offset)
            self.nums.append(_copy(self.pdf, part_nums[i + 1]))
        for page in pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        self.next_key = offset + _next_key(root)
        self.pdf.Root.StructTreeRoot.ParentTreeNextKey = self.next_key


def _copy(pdf: pikepdf.Pdf, obj):
    """Copy an object of another PDF into ``pdf``; direct arrays and dictionaries member by member."""
    if obj.is_indirect:
        return pdf.copy_foreign(obj)
    if isinstance(obj, pikepdf.Array):
        return pikepdf.Array([_copy(pdf, item) for item in obj])
    if isinstance(obj, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copy(pdf, value) for key, value in obj.items()})
    return obj


def _next_key(root) -> int:
    if "/ParentTreeNextKey" in root:
        return int(root.ParentTreeNextKey)
    nums = root.ParentTree.Nums
    return max((int(nums[i]) for i in range(0, len(nums), 2)), default=-1) + 1


# ---------------------------------------------------------------- fonts

# as WeasyPrint 70 subsets (weasyprint/pdf/fonts.py), so the joined file's fonts are like a whole layout's
_DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")
_BFCHAR_BLOCK = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _one_subset_per_font(pdf: pikepdf.Pdf, font_dir: Path) -> None:
    groups: dict[str, list] = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/Type0":
            groups.setdefault(str(obj.BaseFont).partition("+")[2], []).append(obj)
    bundled = None
    for fonts in groups.values():
        if len(fonts) < 2:
            continue
        bundled = bundled or _bundled_fonts(font_dir)
        keep = fonts[0]
        cid_font = keep.DescendantFonts[0]
        descriptor = cid_font.FontDescriptor
        widths, to_unicode = {}, {}
        for font in fonts:
            for gid, width in _widths(font.DescendantFonts[0].W).items():
                widths.setdefault(gid, width)
            for block in _BFCHAR_BLOCK.findall(font.ToUnicode.read_bytes()):
                for gid, text in _BFCHAR.findall(block):
                    to_unicode.setdefault(int(gid, 16), text.decode())
        name = _postscript_name(descriptor.FontFile3.read_bytes())
        if name not in bundled:
            raise ReportError(f"PDF 里的字体 {name} 不是 fonts/ 里的字体，无法合并")
        path = bundled[name]
        stat = path.stat()
        descriptor.FontFile3.write(_packed_subset(path, (stat.st_size, stat.st_mtime_ns), tuple(sorted(widths))),
                                   filter=Name.FlateDecode)
        cid_font.W = _widths_array(widths)
        bbox = descriptor.FontBBox
        descriptor.FontBBox = pikepdf.Array([bbox[0], bbox[1], max(widths.values()), bbox[3]])
        keep.ToUnicode.write(zlib.compress(_cmap(to_unicode)), filter=Name.FlateDecode)
        for font in fonts[1:]:
            font.BaseFont = keep.BaseFont
            font.DescendantFonts = keep.DescendantFonts
            font.ToUnicode = keep.ToUnicode


def _bundled_fonts(font_dir: Path) -> dict[str, Path]:
    """PostScript name → file, for the fonts in ``fonts/``."""
    from .fonts import bundled

    found = {}
    for path in bundled(font_dir).values():
        with TTFont(path, lazy=True) as font:
            found[font["name"].getDebugName(6)] = path
    return found


def _postscript_name(program: bytes) -> str:
    with TTFont(io.BytesIO(program), lazy=True) as font:
        return font["name"].getDebugName(6)


@functools.lru_cache(maxsize=16)  # a booklet's ~4 fonts, a few revisions back
def _packed_subset(path: Path, stamp: tuple[int, int], glyphs: tuple[int, ...]) -> bytes:
    """The compressed subset of ``glyphs`` of the font at ``path`` (``stamp``: its size and mtime).

    Kept in the process: a resident builder joins a revision whose parts use the glyphs the last one
    did, and cutting and compressing ~1 MB of subsets took ~0.03 s of each join."""
    return zlib.compress(_subset(path, list(glyphs)))


def _subset(path: Path, glyphs: list[int]) -> bytes:
    face = hb.Face(hb.Blob.from_file_path(str(path)))
    subset = hb.SubsetInput()
    subset.glyph_set.update([0, *glyphs])
    subset.flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                    | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING)
    subset.drop_table_tag_set.update([int.from_bytes(tag, "big") for tag in _DROP_TABLES])
    result = hb.subset(face, subset)
    if result is None:
        raise ReportError(f"无法从 {path.name} 截取字体子集")
    return result.blob.data


def _widths(array) -> dict[int, float]:
    """A CIDFont /W array (``c [w1 w2 …]`` and ``c_first c_last w``) as glyph id → width."""
    widths, items, i = {}, list(array), 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for offset, width in enumerate(items[i + 1]):
                widths[first + offset] = float(width)
            i += 2
        else:
            for gid in range(first, int(items[i + 1]) + 1):
                widths[gid] = float(items[i + 2])
            i += 3
    return widths


def _widths_array(widths: dict[int, float]) -> pikepdf.Array:
    array, run, previous = [], None, None
    for gid in sorted(widths):
        if previous is None or gid != previous + 1:
            run = []
            array += [gid, run]
        run.append(widths[gid])
        previous = gid
    return pikepdf.Array([v if isinstance(v, int) else pikepdf.Array(v) for v in array])


def _cmap(to_unicode: dict[int, str]) -> bytes:
    """A ToUnicode CMap (as WeasyPrint writes them) for glyph id → UTF-16BE hex."""
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo", "<< /Registry (Adobe)", "/Ordering (UCS)", "/Supplement 0", ">> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <ffff>", "endcodespacerange",
    ]
    entries = sorted(to_unicode.items())
    for start in range(0, len(entries), 100):  # at most 100 entries a block
        block = entries[start:start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines += [f"<{gid:04x}> <{text}>" for gid, text in block]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()
