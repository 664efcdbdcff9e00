"""Issue 12: every name prints — the bundled fonts, read back from the files and from real PDFs.

The fonts hold everything Noto Sans CJK SC has: every character of GBK and of
the 通用规范汉字表 (Unihan's kTGH, from Debian's unicode-data, which `make
test` installs). A small report full of names beyond GB 2312 builds, its text
extracts, no .notdef box is drawn, and ``——`` draws as one unbroken rule.
Characters beyond the font (Extension B, emoji) keep their located error
(tests/bad/font-*.yaml).
"""

from __future__ import annotations

import bz2
import hashlib
import sys
from pathlib import Path

import pdfplumber
import pikepdf
import pypdfium2
import pytest
from fontTools.ttLib import TTFont

from conftest import pdf_text, squash
from test_bad_inputs import tiny_report
from tujie.build import PROJECT, Paths, build_report
from tujie.check import check_notdef
from tujie.fonts import FILES

sys.path.insert(0, str(PROJECT / "fonts"))
import build_fonts  # noqa: E402  (the script that makes the fonts: its GBK list is the codec's)

UNIHAN = Path("/usr/share/unicode/Unihan_OtherMappings.txt.bz2")  # Debian unicode-data
NAMES = ["王堃", "李玥", "张喆", "陈昇"]
PLACE = "鄠邑区"  # 鄠 is in GBK, not in GB 2312


@pytest.fixture(scope="module")
def cmaps() -> dict[str, set[int]]:
    return {name: set(TTFont(PROJECT / "fonts" / name, lazy=True).getBestCmap()) for name in FILES.values()}


def tongyong_guifan() -> set[int]:
    """The 8,105 characters of 通用规范汉字表 (2013): Unihan's kTGH field."""
    assert UNIHAN.is_file(), "make test installs Debian's unicode-data (Unihan)"
    with bz2.open(UNIHAN, "rt", encoding="utf-8") as lines:
        return {int(line.split("\t", 1)[0][2:], 16) for line in lines if "\tkTGH\t" in line}


def test_fonts_cover_gbk_and_tongyong_guifan(cmaps):
    gbk = build_fonts.codec_codepoints("gbk")
    table = tongyong_guifan()
    assert len(gbk) > 21000 and len(table) == 8105
    for name, cmap in cmaps.items():
        assert not sorted(gbk - cmap), name
        assert not sorted(table - cmap), name
        assert len(cmap) >= 44000, (name, len(cmap))  # the whole SC face, not a subset of it
        assert 0x20000 not in cmap and 0x1F600 not in cmap  # beyond the font: the located error stays


def test_fonts_match_their_pinned_sums():
    """What `make fonts` made is byte for byte what fonts/SHA256SUMS (and so every other machine) has."""
    sums = build_fonts.read_sums()
    assert sorted(sums) == sorted(FILES.values())
    for name, digest in sums.items():
        assert hashlib.sha256((PROJECT / "fonts" / name).read_bytes()).hexdigest() == digest, name


def test_the_fonts_check_reads_a_font_again_only_when_it_changed(tmp_path, monkeypatch):
    """`make` asks fonts/build_fonts.py before every build whether the fonts are right: fonts found
    right before, with the same size and modification time, are not hashed again; a changed one is."""
    import shutil

    for name in FILES.values():
        shutil.copy2(PROJECT / "fonts" / name, tmp_path / name)
    monkeypatch.setattr(build_fonts, "VERIFIED", tmp_path / "verified.json")
    hashed = []
    real = build_fonts.sha256
    monkeypatch.setattr(build_fonts, "sha256", lambda path: hashed.append(path.name) or real(path))
    assert build_fonts.up_to_date(tmp_path) and sorted(hashed) == sorted(FILES.values())
    hashed.clear()
    assert build_fonts.up_to_date(tmp_path) and hashed == []
    damaged = tmp_path / FILES[700]
    data = bytearray(damaged.read_bytes())
    data[5000] ^= 0xFF
    damaged.write_bytes(bytes(data))  # same size, new modification time
    assert not build_fonts.up_to_date(tmp_path) and hashed == [damaged.name]
    (tmp_path / FILES[400]).unlink()
    assert not build_fonts.up_to_date(tmp_path)


@pytest.fixture(scope="module")
def names_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("names")
    text = tiny_report().replace("issuer: 青禾镇人民政府", f"issuer: {PLACE}人民政府").replace(
        "text: 全年地区生产总值达到{gdp}，参保率达到{pension}。",
        f"text: {'、'.join(NAMES)}——{PLACE}全年地区生产总值达到{{gdp}}……参保率达到{{pension}}。")
    source = tmp / "names.yaml"
    source.write_text(text, encoding="utf-8")
    return build_report(source, Paths(output=tmp / "out"), editions=("print", "screen"))


def test_names_beyond_gb2312_build_extract_and_draw_no_box(names_build):
    assert all(f.ok for f in names_build.findings)
    for edition in ("screen", "print"):
        text = squash(pdf_text(names_build.files[edition]))
        for word in NAMES + [PLACE, "——", "……"]:
            assert squash(word) in text, (edition, word)
        with pikepdf.open(names_build.files[edition]) as pdf:
            assert check_notdef(pdf) == []


def test_two_em_dashes_draw_one_unbroken_rule(names_build):
    """Measure the ink of ``——`` in the screen PDF: no gap wider than 0.05 em between the two dashes.

    HarfBuzz may set the pair as the font's two-em ligature (one glyph, text "——") or as two
    full-width dashes; either way the ink must run on.
    """
    pdf_path = names_build.files["screen"]
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages):
            chars = page.chars
            spans = [(c, c) for c in chars if c["text"] == "——"]
            spans += [(a, b) for a, b in zip(chars, chars[1:]) if a["text"] == b["text"] == "—"]
            if spans:
                first, last = spans[0]
                break
        else:
            pytest.fail("no —— in the PDF")
    size = first["size"]
    assert last["x1"] - first["x0"] == pytest.approx(2 * size, rel=0.02)  # two full-width dashes: 2 em
    scale = 600 / size  # pixels per point: 1 em = 600 pixels
    doc = pypdfium2.PdfDocument(str(pdf_path))
    image = doc[number].render(scale=scale).to_pil().convert("L")
    doc.close()
    box = [round(v * scale) for v in (first["x0"], first["top"], last["x1"], first["bottom"])]  # the two ems only
    region = image.crop(box)
    inked = [any(region.getpixel((x, y)) < 128 for y in range(region.height)) for x in range(region.width)]
    start, end = inked.index(True), len(inked) - inked[::-1].index(True)
    em = size * scale
    assert (end - start) / em > 1.8  # the dashes really are drawn, across both ems
    longest = run = 0
    for ink in inked[start:end]:
        run = 0 if ink else run + 1
        longest = max(longest, run)
    assert longest / em <= 0.05, f"gap of {longest / em:.3f} em in ——"


def test_dash_glyph_alone_runs_edge_to_edge(cmaps):
    """Where the pair is not set as a ligature (two shaping runs), each dash fills its em: read from the font."""
    from fontTools.pens.boundsPen import BoundsPen

    for name in FILES.values():
        font = TTFont(PROJECT / "fonts" / name)
        glyphs = font.getGlyphSet()
        glyph = font.getBestCmap()[0x2014]
        pen = BoundsPen(glyphs)
        glyphs[glyph].draw(pen)
        x0, _, x1, _ = pen.bounds
        assert font["hmtx"][glyph][0] == 1000 and x0 <= 0 and x1 >= 1000, (name, pen.bounds)


def test_common_characters_have_low_glyph_ids():
    """PDF font subsets keep glyph ids, so the fonts number GB 2312 and common punctuation first
    (fonts/build_fonts.py common_first): an ordinary report's glyphs stay below 10,000."""
    common = build_fonts.codec_codepoints("gb2312") | set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040))
    for name in FILES.values():
        font = TTFont(PROJECT / "fonts" / name, lazy=True)
        cmap = font.getBestCmap()
        highest = max(font.getGlyphID(cmap[code]) for code in common if code in cmap)
        assert highest < 10000, (name, highest)


def test_built_glyphs_are_the_source_glyphs():
    """Renumbering and desubroutinizing kept every outline: a sample of characters drawn from the built font
    and from the Debian collection it came from (left in fonts/.download by make fonts) are the same."""
    from fontTools.pens.recordingPen import DecomposingRecordingPen

    gb2312 = sorted(build_fonts.codec_codepoints("gb2312"))
    sample = [ord(c) for c in "".join(NAMES) + PLACE + "图解政府工作报告，。、“”（）《》0123456789%ABCxyz"] + gb2312[::97]
    for weight, name in zip(("Regular", "Medium", "Bold", "Black"), FILES.values()):
        ttc = PROJECT / "fonts" / ".download" / "ttc" / f"NotoSansCJK-{weight}.ttc"
        source = TTFont(ttc, fontNumber=build_fonts.find_sc_face(ttc), lazy=True)
        built = TTFont(PROJECT / "fonts" / name, lazy=True)
        cmap_s, cmap_b = source.getBestCmap(), built.getBestCmap()
        glyphs_s, glyphs_b = source.getGlyphSet(), built.getGlyphSet()
        for code in sample:
            pen_s, pen_b = DecomposingRecordingPen(glyphs_s), DecomposingRecordingPen(glyphs_b)
            glyphs_s[cmap_s[code]].draw(pen_s)
            glyphs_b[cmap_b[code]].draw(pen_b)
            assert pen_s.value == pen_b.value, (name, hex(code))
            assert source["hmtx"][cmap_s[code]] == built["hmtx"][cmap_b[code]], (name, hex(code))
