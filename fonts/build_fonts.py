#!/usr/bin/env python3
"""Build the project's bundled Simplified Chinese fonts ("Noto Sans SC" subsets).

What it does
------------
The booklets are rendered with WeasyPrint and matplotlib, and both must use
the same Chinese font on every machine, independent of whatever fonts happen
to be installed system-wide. We therefore ship our own fonts in ``fonts/``.

The upstream Noto Sans CJK fonts are distributed as TrueType/OpenType
Collections (``NotoSansCJK-<Weight>.ttc``, Debian packages ``fonts-noto-cjk``
and ``fonts-noto-cjk-extra``). Each collection holds ~65,000 glyphs and the
JP, KR, SC, TC, HK (and Mono) faces, which is far too large to commit. This
script:

1. opens each given ``.ttc`` and selects the Simplified Chinese face by reading
   its name table (typographic family containing "CJK SC", excluding the Mono
   faces) -- the face index is never hard-coded;
2. subsets it with ``fontTools.subset`` to a fixed repertoire (see
   ``build_repertoire``): all of GB 2312, Latin, common punctuation and the
   symbol blocks used in government reports, plus optional extra characters
   from a text file;
3. keeps the OpenType layout features needed for Chinese typesetting
   (``halt``, ``palt``, ``vhal``, ``vpal``, ``kern``, vertical forms and the
   fontTools defaults), drops hinting to save space; ``locl`` is dropped: the SC
   face already draws Simplified forms, and its Japanese/Korean/Traditional
   variants would add ~1.3 MB per weight;
4. renames the face to a single family "Noto Sans SC" (nameIDs 1 and 16) with
   the weight as style name (nameIDs 2 and 17), PostScript name
   ``NotoSansSC-<Weight>``, matching CFF names, and checks OS/2
   ``usWeightClass``; so fontconfig, matplotlib and WeasyPrint all see ONE
   family with several weights;
5. writes ``NotoSansSC-<Weight>.otf`` (OpenType/CFF) deterministically: the
   ``head`` created/modified timestamps are copied from the source font, so the
   same input always yields byte-identical output.

The Noto CJK fonts are licensed under the SIL Open Font License 1.1; the
Reserved Font Name is "Source", so the name "Noto Sans SC" may be used for
these modified versions. See ``fonts/LICENSE-OFL.txt`` and ``fonts/README.md``.

Usage
-----
    python fonts/build_fonts.py --src /tmp/fontsrc/x/usr/share/fonts/opentype/noto
    python fonts/build_fonts.py path/to/NotoSansCJK-Bold.ttc [...] [--extra-chars chars.txt]

Requires Python 3.11 and fontTools (pinned in requirements.in); nothing else.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

FAMILY = "Noto Sans SC"
PS_FAMILY = "NotoSansSC"

# Weights built by default when --src is given (Debian file name suffixes).
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

# Unicode blocks included in full (inclusive ranges). Code points the source
# font does not map are simply skipped by the subsetter.
BLOCKS = (
    ("Basic Latin (printable)", 0x0020, 0x007E),
    ("Latin-1 Supplement", 0x00A0, 0x00FF),
    ("General Punctuation", 0x2000, 0x206F),
    ("Letterlike Symbols", 0x2100, 0x214F),  # includes U+2103 DEGREE CELSIUS
    ("Number Forms", 0x2150, 0x218F),  # includes Roman numerals I-XII, i-x
    ("Arrows", 0x2190, 0x21FF),
    ("Enclosed Alphanumerics", 0x2460, 0x24FF),  # includes circled 1-20
    ("Geometric Shapes", 0x25A0, 0x25FF),
    ("CJK Symbols and Punctuation", 0x3000, 0x303F),
    ("Halfwidth and Fullwidth Forms", 0xFF00, 0xFFEF),
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
    "\u2160\u2161\u2162\u2163\u2164\u2165\u2166\u2167\u2168\u2169\u216a\u216b"  # Roman I-XII
    "\u2170\u2171\u2172\u2173\u2174\u2175\u2176\u2177\u2178\u2179"  # roman i-x
    + "".join(chr(c) for c in range(0x2460, 0x2474))  # circled 1-20
)


def gb2312_codepoints() -> set[int]:
    """Return every code point of GB 2312, found by decoding every 2-byte
    EUC-CN sequence with Python's ``gb2312`` codec."""
    result: set[int] = set()
    for lead in range(0x80, 0x100):
        for trail in range(0x80, 0x100):
            try:
                text = bytes((lead, trail)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            result.update(ord(ch) for ch in text)
    return result


def read_extra_chars(path: Path) -> set[int]:
    """Return the code points of all non-control characters in a UTF-8 file."""
    text = path.read_text(encoding="utf-8")
    return {ord(ch) for ch in text if unicodedata.category(ch) != "Cc"}


def build_repertoire(extra_file: Path | None) -> tuple[set[int], set[int]]:
    """Return ``(requested, required)`` code point sets.

    ``requested`` is everything we ask the subsetter for; ``required`` is the
    part that must be present in the source font (GB 2312, the individually
    listed characters and the extra characters), otherwise the build fails.
    """
    required = gb2312_codepoints() | {ord(ch) for ch in REQUIRED_CHARS}
    if extra_file is not None:
        required |= read_extra_chars(extra_file)
    requested = set(required)
    for _name, first, last in BLOCKS:
        requested.update(range(first, last + 1))
    return requested, required


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


def subset_options() -> subset.Options:
    """Return the fontTools subsetter options used for every weight."""
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


def build_one(
    ttc_path: Path, out_dir: Path, requested: set[int], required: set[int]
) -> Path:
    """Subset and rename the SC face of one TTC; return the output path."""
    index = find_sc_face(ttc_path)
    font = TTFont(str(ttc_path), fontNumber=index, recalcTimestamp=False, lazy=False)
    style = style_of(font)
    source_ps_name = english_name(font, 6) or ""
    created, modified = font["head"].created, font["head"].modified

    cmap = font.getBestCmap()
    missing = sorted(required - set(cmap))
    if missing:
        listing = " ".join(f"U+{cp:04X}" for cp in missing)
        raise SystemExit(f"{ttc_path}: required characters missing in source: {listing}")
    unicodes = sorted(requested & set(cmap))

    subsetter = subset.Subsetter(options=subset_options())
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)

    ps_name = rename(font, style, source_ps_name)
    # Deterministic output: keep the source timestamps.
    font["head"].created = created
    font["head"].modified = modified

    out_path = out_dir / f"{ps_name}.otf"
    font.save(str(out_path), reorderTables=True)
    font.close()
    print(
        f"{out_path.name}: face #{index} of {ttc_path.name}, weight {WEIGHT_CLASSES[style]}, "
        f"{len(unicodes)} code points, {out_path.stat().st_size:,} bytes"
    )
    return out_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Subset the SC face of Noto Sans CJK .ttc files into fonts/NotoSansSC-*.otf."
    )
    parser.add_argument("ttc", nargs="*", type=Path, help="NotoSansCJK-<Weight>.ttc files")
    parser.add_argument(
        "--src",
        type=Path,
        help="directory containing NotoSansCJK-{%s}.ttc" % ",".join(DEFAULT_WEIGHTS),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="output directory (default: the directory of this script)",
    )
    parser.add_argument(
        "--extra-chars",
        type=Path,
        help="UTF-8 text file; all its (non-control) characters are added to the repertoire",
    )
    args = parser.parse_args(argv)

    sources = list(args.ttc)
    if args.src is not None:
        sources += [args.src / f"NotoSansCJK-{weight}.ttc" for weight in DEFAULT_WEIGHTS]
    if not sources:
        parser.error("give .ttc files or --src DIR")
    for path in sources:
        if not path.is_file():
            parser.error(f"not found: {path}")

    requested, required = build_repertoire(args.extra_chars)
    print(f"repertoire: {len(requested)} requested code points, {len(required)} required")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sources:
        build_one(path, args.out, requested, required)
    return 0


if __name__ == "__main__":
    sys.exit(main())
