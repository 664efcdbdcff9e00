#!/usr/bin/env python3
"""Build the project's bundled Simplified Chinese fonts ("Noto Sans SC").

In: Debian's pinned ``fonts-noto-cjk`` and ``fonts-noto-cjk-extra`` packages
(fetched with ``apt-get download``, checked against pinned SHA-256 digests).
Out: ``fonts/NotoSansSC-{Regular,Medium,Bold,Black}.otf``, byte-identical on
every machine, checked against ``fonts/SHA256SUMS``.

``make fonts`` (run by ``make`` and ``make test``) calls this script with
``--fetch``; it does nothing when the four files already match their sums.
The fonts are not kept in git (about 9 MB each); a clean clone makes them in
about three minutes on two cores.

What it does
------------
The booklets are rendered with WeasyPrint and matplotlib, and both must use
the same Chinese font on every machine, independent of whatever fonts happen
to be installed system-wide.

The upstream Noto Sans CJK fonts are distributed as OpenType Collections
(``NotoSansCJK-<Weight>.ttc``); each holds ~65,000 glyphs shared by the JP,
KR, SC, TC, HK (and Mono) faces. This script:

1. opens each ``.ttc`` and selects the Simplified Chinese face by reading its
   name table (typographic family containing "CJK SC", excluding the Mono
   faces) -- the face index is never hard-coded;
2. subsets it with ``fontTools.subset`` to every character the SC face maps
   (44,810 code points: all of GBK and of the 通用规范汉字表, Extension A and
   the SC face's Extension B–F characters, Latin, punctuation and symbols); it
   fails if any character of GBK or GB 2312 is missing;
3. makes ``——`` one unbroken rule: U+2014 (0.894 em wide upstream) and
   U+2015 draw one full-width dash glyph redrawn edge to edge (upstream it
   keeps 0.07 em of side bearing, a visible gap between two dashes), with
   the weight's own stroke; ``……`` is already six evenly spaced dots;
4. adds ≒ (U+2252, in GBK but not in Noto Sans CJK), drawn from the face's own
   ＝ and middle dot;
5. keeps the OpenType layout features needed for Chinese typesetting
   (``halt``, ``palt``, ``vhal``, ``vpal``, ``kern``, vertical forms and the
   fontTools defaults), drops hinting to save space; ``locl`` is dropped: the SC
   face already draws Simplified forms, and its Japanese/Korean/Traditional
   variants would add several MB per weight;
6. renames the face to a single family "Noto Sans SC" (nameIDs 1 and 16) with
   the weight as style name (nameIDs 2 and 17), PostScript name
   ``NotoSansSC-<Weight>``, matching CFF names, and checks OS/2
   ``usWeightClass``; so fontconfig, matplotlib and WeasyPrint all see ONE
   family with several weights;
7. renumbers the glyphs so that common characters have low ids (see
   ``common_first``): PDFs subset keeping glyph ids, so this keeps them small;
8. writes ``NotoSansSC-<Weight>.otf`` (OpenType/CFF) deterministically: the
   ``head`` created/modified timestamps are copied from the source font, so the
   same input always yields byte-identical output.

The Noto CJK fonts are licensed under the SIL Open Font License 1.1; the
Reserved Font Name is "Source", so the name "Noto Sans SC" may be used for
these modified versions. See ``fonts/LICENSE-OFL.txt`` and ``fonts/README.md``.

Usage
-----
    python fonts/build_fonts.py --fetch            # what `make fonts` runs
    python fonts/build_fonts.py --fetch --write-sums   # after changing this script
    python fonts/build_fonts.py --src DIR          # from NotoSansCJK-*.ttc already on disk

Requires Python 3.11, fontTools (pinned in requirements.txt), and for
``--fetch`` apt-get and dpkg-deb (any Debian or Ubuntu).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# fontTools is imported where a font is built: `make` runs this script before every build, and
# checking that the fonts are up to date needs none of it (importing it took 0.14 s)

HERE = Path(__file__).resolve().parent
SUMS = HERE / "SHA256SUMS"  # the four built fonts: what every machine must produce
DOWNLOADS = HERE / ".download"  # the fetched packages (not in git)
VERIFIED = DOWNLOADS / "verified.json"  # fonts found right, by size and modification time (up_to_date)

FAMILY = "Noto Sans SC"
PS_FAMILY = "NotoSansSC"

# The pinned source: Debian bookworm's packages, checked by their SHA-256 (from the archive's Packages index).
VERSION = "1:20220127+repack1-1"
PACKAGES = {
    "fonts-noto-cjk": ("4a2515eb6db3978b897fef9709ed0d2b1f4c6c4df4d83d6c4ef65f71f1b1f502", ("Regular", "Bold")),
    "fonts-noto-cjk-extra": ("5f6536c99f9b3d77a3c383c3f1544f6d49350e7f20832c4c979af0e33f603cb5", ("Medium", "Black")),
}
TTC_DIR = "usr/share/fonts/opentype/noto"

# Weights built by default (Debian file name suffixes).
DEFAULT_WEIGHTS = ("Regular", "Medium", "Bold", "Black")

# OS/2 usWeightClass for each style name used by Noto Sans CJK.
WEIGHT_CLASSES = {
    "Thin": 100,
    "Light": 300,
    "DemiLight": 350,
    "Regular": 400,
    "Medium": 500,
    "Bold": 700,
    "Black": 900,
}

# Layout features kept in addition to fontTools' defaults. Most of them are
# already defaults; listing them makes the requirement explicit.
EXTRA_LAYOUT_FEATURES = (
    "halt",  # alternate half widths (punctuation compression, horizontal)
    "palt",  # proportional alternate widths (horizontal)
    "vhal",  # alternate half heights (vertical)
    "vpal",  # proportional alternate heights (vertical)
    "kern",  # kerning
    "vkrn",  # vertical kerning
    "vert",  # vertical alternates (punctuation in vertical text)
    "vrt2",  # vertical rotation
)

# Individual characters that must always be present.
REQUIRED_CHARS = (
    "\u00b7"  # MIDDLE DOT
    "\u30fb"  # KATAKANA MIDDLE DOT (also used as a Chinese interpunct)
    "\u2027"  # HYPHENATION POINT
    "\u2212"  # MINUS SIGN
    "\u00d7"  # MULTIPLICATION SIGN
    "\u00f7"  # DIVISION SIGN
    "\u3007"  # IDEOGRAPHIC NUMBER ZERO
    "\u2103"  # DEGREE CELSIUS
    "\u2014\u2015\u2026"  # dashes and ellipsis (made full width below)
    "\u2160\u2161\u2162\u2163\u2164\u2165\u2166\u2167\u2168\u2169\u216a\u216b"  # Roman I-XII
    "\u2170\u2171\u2172\u2173\u2174\u2175\u2176\u2177\u2178\u2179"  # roman i-x
    + "".join(chr(c) for c in range(0x2460, 0x2474))  # circled 1-20
)

DASHES = (0x2014, 0x2015)  # EM DASH, HORIZONTAL BAR: both drawn as the full-width rule
DASH_SOURCE = 0x2015  # upstream's full-width dash (what `fwid` gives for U+2014)
APPROX = 0x2252  # ≒ APPROXIMATELY EQUAL TO OR THE IMAGE OF: GBK A892, not in Noto Sans CJK


def codec_codepoints(codec: str) -> set[int]:
    """Every code point of a double-byte Chinese codec (``gb2312``, ``gbk``), found by decoding
    every two-byte sequence (lead 0x81-0xFE, trail 0x40-0xFE)."""
    result: set[int] = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                text = bytes((lead, trail)).decode(codec)
            except UnicodeDecodeError:
                continue
            result.update(ord(ch) for ch in text if unicodedata.category(ch) != "Co")  # not private use
    return result


def read_extra_chars(path: Path) -> set[int]:
    """Return the code points of all non-control characters in a UTF-8 file."""
    text = path.read_text(encoding="utf-8")
    return {ord(ch) for ch in text if unicodedata.category(ch) != "Cc"}


def required_codepoints(extra_file: Path | None) -> set[int]:
    """What every built font must map: GB 2312, GBK, the listed characters and any extra ones."""
    required = codec_codepoints("gb2312") | codec_codepoints("gbk") | {ord(ch) for ch in REQUIRED_CHARS}
    if extra_file is not None:
        required |= read_extra_chars(extra_file)
    return required


def english_name(font: TTFont, name_id: int) -> str | None:
    """Return a Windows/English name record as a string, or None."""
    record = font["name"].getName(name_id, 3, 1, 0x0409)
    return record.toUnicode() if record is not None else None


def find_sc_face(ttc_path: Path) -> int:
    """Return the index of the "Noto Sans CJK SC" face inside a TTC.

    The index is found by reading each face's name table: the typographic
    family (nameID 16, falling back to nameID 1) must contain "CJK SC"; the
    monospaced "Noto Sans Mono CJK SC" face is excluded.
    """
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(ttc_path), lazy=True)
    matches = []
    for index, face in enumerate(collection.fonts):
        family = english_name(face, 16) or english_name(face, 1) or ""
        if "CJK SC" in family and "Mono" not in family:
            matches.append(index)
    collection.close()
    if len(matches) != 1:
        raise SystemExit(f"{ttc_path}: expected exactly one 'CJK SC' face, found {matches}")
    return matches[0]


def style_of(font: TTFont) -> str:
    """Return the weight/style name of a source face (e.g. "Black")."""
    style = english_name(font, 17) or english_name(font, 2)
    if style not in WEIGHT_CLASSES:
        raise SystemExit(f"unsupported style {style!r}")
    if font["OS/2"].usWeightClass != WEIGHT_CLASSES[style]:
        raise SystemExit(
            f"style {style!r} has usWeightClass {font['OS/2'].usWeightClass}, "
            f"expected {WEIGHT_CLASSES[style]}"
        )
    return style


def subset_options():
    """Return the fontTools subsetter options used for every weight."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = sorted((set(options.layout_features) | set(EXTRA_LAYOUT_FEATURES)) - {"locl"})
    options.hinting = False  # strip CFF hints: smaller files, fine for print/PDF
    options.desubroutinize = False  # keep CFF subroutines (smaller)
    options.glyph_names = False  # CFF fonts use post format 3 anyway
    options.notdef_outline = True
    options.name_IDs = ["*"]  # keep copyright/licence/designer records
    options.name_languages = [0x0409]  # English (Windows) records only
    options.name_legacy = False  # drop Macintosh records
    options.recalc_timestamp = False
    return options


def rename(font: TTFont, style: str, source_ps_name: str) -> str:
    """Rename the face to family "Noto Sans SC" with the given style.

    Sets nameIDs 1/16 (family), 2/17 (style), 3 (unique ID), 4 (full name),
    6 (PostScript name), the CFF font/FD names, OS/2 usWeightClass and the
    bold bits. Returns the new PostScript name.
    """
    ps_name = f"{PS_FAMILY}-{style}"
    full_name = FAMILY if style == "Regular" else f"{FAMILY} {style}"
    name = font["name"]

    unique_id = english_name(font, 3) or ps_name
    unique_id = unique_id.replace(source_ps_name, ps_name)

    for name_id in (1, 2, 3, 4, 6, 16, 17):
        name.removeNames(nameID=name_id)
    for name_id, value in (
        (1, FAMILY),
        (2, style),
        (3, unique_id),
        (4, full_name),
        (6, ps_name),
        (16, FAMILY),
        (17, style),
    ):
        name.setName(value, name_id, 3, 1, 0x0409)
    name.names.sort(key=lambda r: (r.platformID, r.platEncID, r.langID, r.nameID))

    weight = WEIGHT_CLASSES[style]
    os2 = font["OS/2"]
    os2.usWeightClass = weight
    # fsSelection: bit 0 italic, bit 5 bold, bit 6 regular. Only the "Bold"
    # style carries the bold bit, only "Regular" the regular bit.
    os2.fsSelection &= ~((1 << 0) | (1 << 5) | (1 << 6))
    if style == "Bold":
        os2.fsSelection |= 1 << 5
    elif style == "Regular":
        os2.fsSelection |= 1 << 6
    font["head"].macStyle = 0x01 if style == "Bold" else 0x00

    # The CFF table of a TTC is shared by all faces and carries the JP names;
    # make it consistent with the new name table.
    cff = font["CFF "].cff
    old_cff_name = cff.fontNames[0]
    top = cff[old_cff_name]
    cff.fontNames = [ps_name]
    top.FamilyName = FAMILY
    top.FullName = full_name
    top.Weight = style
    if hasattr(top, "FDArray"):
        for fd in top.FDArray:
            if getattr(fd, "FontName", None):
                fd.FontName = fd.FontName.replace(old_cff_name, ps_name)
    return ps_name


def _draw_glyph(font: TTFont, name: str, draw, width: int) -> None:
    """Replace glyph ``name``'s outline with what ``draw(pen)`` draws (CFF, CID-keyed)."""
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    top = font["CFF "].cff.topDictIndex[0]
    charstrings = top.CharStrings
    index = charstrings.charStrings[name]
    private = top.FDArray[top.FDSelect[font.getGlyphID(name)]].Private if hasattr(top, "FDArray") else top.Private
    pen = T2CharStringPen(None if width == private.defaultWidthX else width - private.nominalWidthX, None)
    draw(pen)
    charstring = pen.getCharString(private=private, globalSubrs=top.GlobalSubrs)
    charstrings.charStringsIndex.items[index] = charstring


def _bounds(font: TTFont, name: str) -> tuple[float, float, float, float]:
    from fontTools.pens.boundsPen import BoundsPen

    pen = BoundsPen(font.getGlyphSet())
    font.getGlyphSet()[name].draw(pen)
    return pen.bounds


def full_width_dash(font: TTFont) -> str:
    """Redraw upstream's full-width dash edge to edge, keeping its stroke; return its glyph name.

    Upstream ink runs from 0.07 to 0.93 em, so ``——`` shows a gap of 0.14 em.
    """
    name = font.getBestCmap()[DASH_SOURCE]
    _, y0, _, y1 = _bounds(font, name)

    def rule(pen):
        pen.moveTo((0, y0))
        pen.lineTo((1000, y0))
        pen.lineTo((1000, y1))
        pen.lineTo((0, y1))
        pen.closePath()

    _draw_glyph(font, name, rule, 1000)
    font["hmtx"][name] = (1000, 0)
    return name


def approx_equal_sign(font: TTFont, slot: str) -> None:
    """Draw ≒ into glyph ``slot``: the face's ＝ with a small dot above left and below right."""
    from fontTools.pens.transformPen import TransformPen

    glyphs = font.getGlyphSet()
    cmap = font.getBestCmap()
    equals, dot = cmap[0xFF1D], cmap[0x30FB]
    ex0, ey0, ex1, ey1 = _bounds(font, equals)
    dx0, dy0, dx1, dy1 = _bounds(font, dot)
    scale = 0.42
    size = (dx1 - dx0) * scale
    gap = (ey1 - ey0) * 0.22

    def draw(pen):
        glyphs[equals].draw(pen)
        for x, y in ((ex0 + size * 0.2, ey1 + gap), (ex1 - size * 1.2, ey0 - gap - size)):
            glyphs[dot].draw(TransformPen(pen, (scale, 0, 0, scale, x - dx0 * scale, y - dy0 * scale)))

    _draw_glyph(font, slot, draw, 1000)
    font["hmtx"][slot] = (1000, round(ex0))


def common_first(font: TTFont) -> None:
    """Renumber the glyphs: ASCII, Latin-1, punctuation and GB 2312 first, then glyphs no character maps to
    (ligatures such as the two-em dash, vertical forms), then the rest of GBK, then everything else.

    WeasyPrint and tujie/merge.py subset keeping glyph ids, so a PDF's font
    holds an empty slot for every id below the highest one it uses. Upstream
    order scatters common characters up to id 46,000; this order keeps an
    ordinary report's glyphs below ~10,000, and the PDFs as small as with a
    GB 2312 font. The CFF is desubroutinized first, so that no glyph depends
    on the local subroutines of a font dict; FDSelect follows the glyphs.
    """
    from fontTools.ttLib.reorderGlyphs import reorderGlyphs

    gb2312 = codec_codepoints("gb2312")
    gbk = codec_codepoints("gbk")

    def tier(code: int) -> int:
        if code < 0x0100 or 0x2000 <= code < 0x2070 or 0x3000 <= code < 0x3040 or 0xFF00 <= code < 0xFFF0 \
                or code in gb2312:
            return 1
        return 3 if code in gbk else 4

    order = font.getGlyphOrder()
    position = {name: i for i, name in enumerate(order)}
    # a glyph several characters share (民 and the radical ⺠) ranks by its most common character
    best: dict[str, tuple[int, int]] = {}
    for code, name in font.getBestCmap().items():
        best[name] = min(best.get(name, (9, 0)), (tier(code), code))

    def rank(name: str) -> tuple[int, int, int]:
        if name == ".notdef":
            return (0, 0, 0)
        return (*best.get(name, (2, 0)), position[name])  # tier 2: glyphs no character maps to

    new_order = sorted(order, key=rank)
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    font.ensureDecompiled()
    cff.desubroutinize()
    select = list(top.FDSelect.gidArray) if hasattr(top, "FDSelect") else None
    reorderGlyphs(font, new_order)
    if select is not None:
        top.FDSelect.gidArray = [select[position[name]] for name in new_order]


def _set_cmap(font: TTFont, mapping: dict[int, str]) -> None:
    for table in font["cmap"].tables:
        if table.isUnicode():
            for code, name in mapping.items():
                if code <= 0xFFFF or table.format in (12, 13):
                    table.cmap[code] = name


def build_one(ttc_path: Path, out_path: Path, required: set[int]) -> str:
    """Subset, complete and rename the SC face of one TTC into ``out_path``; return a summary line."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    index = find_sc_face(ttc_path)
    font = TTFont(str(ttc_path), fontNumber=index, recalcTimestamp=False, lazy=False)
    style = style_of(font)
    source_ps_name = english_name(font, 6) or ""
    created, modified = font["head"].created, font["head"].modified

    cmap = font.getBestCmap()
    missing = sorted(required - set(cmap) - {APPROX})
    if missing:
        listing = " ".join(f"U+{cp:04X}" for cp in missing)
        raise SystemExit(f"{ttc_path}: required characters missing in source: {listing}")
    slot = _spare_glyph(font)  # ≒ is drawn into a glyph the subset would drop: no character loses its own
    subsetter = subset.Subsetter(options=subset_options())
    subsetter.populate(unicodes=sorted(cmap), glyphs=[slot])
    subsetter.subset(font)

    dash = full_width_dash(font)
    approx_equal_sign(font, slot)
    _set_cmap(font, {**{code: dash for code in DASHES}, APPROX: slot})

    ps_name = rename(font, style, source_ps_name)
    common_first(font)
    font["head"].created = created  # deterministic output: keep the source timestamps
    font["head"].modified = modified
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    font.save(str(tmp), reorderTables=True)
    font.close()
    os.replace(tmp, out_path)
    return (f"{out_path.name}: face #{index} of {ttc_path.name}, weight {WEIGHT_CLASSES[style]}, "
            f"{len(cmap) + 1} code points, {out_path.stat().st_size:,} bytes")


def _substitutions(font: TTFont, keep) -> tuple[set[str], set[str]]:
    """Glyphs named by GSUB lookups: (those of features ``keep(tag)`` says yes to, those of the others).

    Single substitutions give their inputs and outputs; other lookup types
    (ligatures, alternates) their inputs, and count as kept, to be safe.
    """
    gsub = font["GSUB"].table
    kept, other = set(), set()
    for record in gsub.FeatureList.FeatureRecord:
        bucket = kept if keep(record.FeatureTag) else other
        for lookup_index in record.Feature.LookupListIndex:
            for table in gsub.LookupList.Lookup[lookup_index].SubTable:
                table = getattr(table, "ExtSubTable", table)
                mapping = getattr(table, "mapping", None)
                if mapping is not None:
                    bucket.update(mapping)
                    bucket.update(mapping.values())
                elif getattr(table, "Coverage", None) is not None:
                    kept.update(table.Coverage.glyphs)
    return kept, other


def _spare_glyph(font: TTFont) -> str:
    """A glyph that no character maps to and only the dropped ``locl`` reaches: its slot is free."""
    features = set(subset_options().layout_features)
    kept, locl_only = _substitutions(font, lambda tag: tag in features)
    spare = sorted(locl_only - kept - set(font.getBestCmap().values()), key=font.getGlyphID)
    if not spare:
        raise SystemExit("no spare glyph for U+2252")
    return spare[0]


# ---------------------------------------------------------------- fetching the pinned packages


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(downloads: Path) -> Path:
    """Download the pinned packages with apt-get, check their digests, and unpack the four .ttc files.

    Returns the folder holding ``NotoSansCJK-<Weight>.ttc``.
    """
    downloads.mkdir(parents=True, exist_ok=True)
    ttc_dir = downloads / "ttc"
    ttc_dir.mkdir(exist_ok=True)
    for package, (digest, weights) in PACKAGES.items():
        unpacked = ttc_dir / f".{package}.unpacked"  # holds the digest of the package the .ttc came from
        if unpacked.is_file() and unpacked.read_text() == digest and \
                all((ttc_dir / f"NotoSansCJK-{w}.ttc").is_file() for w in weights):
            continue
        deb = downloads / f"{package}_{VERSION.split(':')[-1]}_all.deb"
        if not deb.is_file() or sha256(deb) != digest:
            deb.unlink(missing_ok=True)
            print(f"下载 {package}={VERSION} ……", flush=True)
            got = subprocess.run(["apt-get", "download", "-q", f"{package}={VERSION}"], cwd=downloads,
                                 capture_output=True, text=True)
            fetched = sorted(downloads.glob(f"{package}_*.deb"))
            if got.returncode or not fetched:
                raise SystemExit(f"无法用 apt-get 下载 {package}={VERSION}：{got.stderr.strip()[-300:]}\n"
                                 "请先运行 apt-get update（需要联网），再运行 make fonts")
            fetched[-1].rename(deb)
            if sha256(deb) != digest:
                raise SystemExit(f"{deb.name} 的 SHA-256 与固定值不符，下载的文件不对，已删除；请重新运行 make fonts")
        _unpack(deb, [f"NotoSansCJK-{w}.ttc" for w in weights], ttc_dir)
        unpacked.write_text(digest)
        deb.unlink()  # 190 MB for both: the four .ttc files (77 MB) are all a rebuild needs
    return ttc_dir


def _unpack(deb: Path, names: list[str], target: Path) -> None:
    """Extract ``names`` from the data archive of ``deb`` (through dpkg-deb, streamed)."""
    wanted = {f"./{TTC_DIR}/{name}": name for name in names}
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as proc:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    tmp = target / f".{wanted[member.name]}.tmp"
                    with archive.extractfile(member) as src, open(tmp, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    os.replace(tmp, target / wanted[member.name])
        proc.stdout.read()
    missing = [n for n in names if not (target / n).is_file()]
    if proc.returncode or missing:
        raise SystemExit(f"{deb.name}：解包失败，缺少 {missing}")


# ---------------------------------------------------------------- the sums


def read_sums() -> dict[str, str]:
    if not SUMS.is_file():
        return {}
    return {name.strip(): digest for digest, name in (line.split("  ", 1) for line in SUMS.read_text().splitlines() if line)}


def up_to_date(out_dir: Path) -> bool:
    """Whether every font in fonts/SHA256SUMS is there with its recorded digest.

    A font whose size and modification time are those it had when last found
    right is not read again (`make` asks before every build; hashing the four
    10 MB files took 0.06 s); the record is fonts/.download/verified.json.
    """
    sums = read_sums()
    if not sums:
        return False
    try:
        verified = json.loads(VERIFIED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        verified = {}
    seen = {}
    for name, digest in sums.items():
        path = out_dir / name
        if not path.is_file():
            return False
        stat = path.stat()
        seen[name] = [stat.st_size, stat.st_mtime_ns, digest]
        if verified.get(name) != seen[name] and sha256(path) != digest:
            return False
    if seen != verified:
        try:
            VERIFIED.parent.mkdir(parents=True, exist_ok=True)
            tmp = VERIFIED.with_name(f".{VERIFIED.name}.{os.getpid()}")
            tmp.write_text(json.dumps(seen), encoding="utf-8")
            os.replace(tmp, VERIFIED)  # two `make` runs at once: each record whole
        except OSError:
            pass  # only costs the hashing next time
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build fonts/NotoSansSC-*.otf from the SC face of Noto Sans CJK .ttc files.")
    parser.add_argument("ttc", nargs="*", type=Path, help="NotoSansCJK-<Weight>.ttc files")
    parser.add_argument("--src", type=Path,
                        help="directory containing NotoSansCJK-{%s}.ttc" % ",".join(DEFAULT_WEIGHTS))
    parser.add_argument("--fetch", action="store_true",
                        help="download the pinned Debian packages with apt-get (kept in fonts/.download/)")
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: fonts/)")
    parser.add_argument("--extra-chars", type=Path,
                        help="UTF-8 text file; all its (non-control) characters must be in the fonts")
    parser.add_argument("--write-sums", action="store_true",
                        help="record the built files in fonts/SHA256SUMS (after changing this script)")
    parser.add_argument("--force", action="store_true", help="build even if the fonts match fonts/SHA256SUMS")
    args = parser.parse_args(argv)

    default_out = args.out.resolve() == HERE
    if args.fetch and default_out and not args.force and not args.write_sums and up_to_date(args.out):
        print("字体已是最新（与 fonts/SHA256SUMS 一致）")
        return 0
    sources = list(args.ttc)
    if args.fetch:
        args.src = fetch(DOWNLOADS)
    if args.src is not None:
        sources += [args.src / f"NotoSansCJK-{weight}.ttc" for weight in DEFAULT_WEIGHTS]
    if not sources:
        parser.error("give .ttc files, --src DIR or --fetch")
    for path in sources:
        if not path.is_file():
            parser.error(f"not found: {path}")

    required = required_codepoints(args.extra_chars)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"生成字体（{len(sources)} 个字重，每个约 1 分钟，同时生成 {min(len(sources), os.cpu_count() or 1)} 个）……", flush=True)
    outputs = {}
    with ProcessPoolExecutor(max_workers=min(len(sources), os.cpu_count() or 1)) as pool:
        jobs = []
        for path in sources:
            weight = path.stem.rsplit("-", 1)[-1]
            out_path = args.out / f"{PS_FAMILY}-{weight}.otf"
            jobs.append((out_path, pool.submit(build_one, path, out_path, required)))
        for out_path, job in jobs:
            print(job.result(), flush=True)
            outputs[out_path.name] = sha256(out_path)
    if args.write_sums:
        SUMS.write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(outputs.items())))
        print(f"已写入 {SUMS}")
    elif default_out and read_sums():
        wrong = [name for name, digest in outputs.items() if read_sums().get(name) != digest]
        if wrong:
            raise SystemExit(f"生成的字体与 fonts/SHA256SUMS 不一致：{'、'.join(wrong)}。"
                             "请确认 requirements.txt 里的 fontTools 版本；修改了本脚本后请加 --write-sums")
    return 0


if __name__ == "__main__":
    sys.exit(main())
