"""Every edition of the default report, checked by reading the real files."""

from __future__ import annotations

import pikepdf
import pdfplumber
import pytest
from PIL import Image

from conftest import DEFAULT, squash
from tujie.build import Paths, build_report
from tujie.check import check_paths
from tujie.cli import main
from tujie.editions import saddle_stitch_order

MM = 72 / 25.4


def test_build_passes_its_own_preflight(default_build):
    assert default_build.findings and all(f.ok for f in default_build.findings)
    rules = {f.rule for f in default_build.findings}
    assert {"字体", "缺字", "元数据", "页面框", "输出意图", "颜色", "页数", "图片分辨率", "长图"} <= rules


def test_page_count_is_a_multiple_of_four(default_build, sample_build):
    for build in (default_build, sample_build):
        for edition in ("print", "screen"):
            with pikepdf.open(build.files[edition]) as pdf:
                assert len(pdf.pages) % 4 == 0 and len(pdf.pages) == build.pages


def test_print_edition_is_pdfx4_cmyk_with_output_intent(default_build):
    with pikepdf.open(default_build.files["print"]) as pdf:
        with pdf.open_metadata() as meta:
            assert meta["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFX" and int(intent.DestOutputProfile.N) == 4
        operators = set()
        for page in pdf.pages:
            operators |= {str(op) for _, op in pikepdf.parse_content_stream(page)}
        assert "rg" not in operators and "RG" not in operators


def registration_lines(page: pikepdf.Page) -> list[tuple[float, float, float, float]]:
    """Line segments stroked in registration colour (1 1 1 1 K) in a page's content."""
    lines, registration, start = [], False, None
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "K":
            registration = [float(v) for v in operands] == [1, 1, 1, 1]
        elif op == "Q":
            registration = False
        elif op == "m" and registration:
            start = [float(v) for v in operands]
        elif op == "l" and registration and start:
            lines.append((*start, *[float(v) for v in operands]))
    return lines


def test_print_crop_marks_sit_outside_the_bleed(default_build):
    with pikepdf.open(default_build.files["print"]) as pdf:
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            media = [float(v) for v in page.obj.MediaBox]
            assert trim[0] - bleed[0] == pytest.approx(3 * MM, abs=0.1)
            marks = registration_lines(page)
            assert len(marks) == 8
            for x0, y0, x1, y1 in marks:
                xs, ys = sorted((x0, x1)), sorted((y0, y1))
                outside = xs[1] <= bleed[0] or xs[0] >= bleed[2] or ys[1] <= bleed[1] or ys[0] >= bleed[3]
                assert outside, (x0, y0, x1, y1)
                assert media[0] <= xs[0] and xs[1] <= media[2] and media[1] <= ys[0] and ys[1] <= media[3]
                # each mark is aligned with a trim edge
                assert any(abs(v - t) < 0.01 for v in (x0, y0) for t in trim)


def test_imposed_file_has_saddle_stitch_spreads_on_sra3(default_build):
    imposed_build = default_build
    assert saddle_stitch_order(16)[:4] == [(16, 1), (2, 15), (14, 3), (4, 13)]
    printed, imposed = imposed_build.files["print"], imposed_build.files["imposed"]
    with pdfplumber.open(printed) as source:
        page_texts = [squash(p.extract_text() or "") for p in source.pages]
    with pikepdf.open(imposed) as pdf:
        assert len(pdf.pages) == imposed_build.pages // 2
        for page in pdf.pages:
            media = [float(v) for v in page.obj.MediaBox]
            trim = [float(v) for v in page.obj.TrimBox]
            assert (media[2] - media[0]) / MM == pytest.approx(450, abs=0.5)  # SRA3 sheet
            assert (trim[2] - trim[0]) / MM == pytest.approx(420, abs=0.5)  # A3 spread
            assert (trim[3] - trim[1]) / MM == pytest.approx(297, abs=0.5)
        spreads = []
        for page in pdf.pages:
            names = [str(operands[0]) for operands, op in pikepdf.parse_content_stream(page) if str(op) == "Do"]
            spreads.append(tuple(int(n.lstrip("/P")) for n in names))
    assert spreads == saddle_stitch_order(imposed_build.pages)
    # and what is drawn on each half is really that page: compare extracted text
    with pdfplumber.open(imposed) as pdf:
        for sheet, (left, right) in zip(pdf.pages, spreads):
            mid = sheet.width / 2
            left_text = squash(sheet.crop((0, 0, mid, sheet.height)).extract_text() or "")
            right_text = squash(sheet.crop((mid, 0, sheet.width, sheet.height)).extract_text() or "")
            for text, number in ((left_text, left), (right_text, right)):
                if page_texts[number - 1]:
                    assert text[:20] == page_texts[number - 1][:20]


def test_screen_edition_is_tagged_pdfa_with_data_attached(default_build):
    path = default_build.files["screen"]
    assert path.stat().st_size <= 2 * 1024 * 1024
    with pikepdf.open(path) as pdf:
        with pdf.open_metadata() as meta:
            assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "A"
        assert "/StructTreeRoot" in pdf.Root and bool(pdf.Root.MarkInfo.Marked)
        attached = pdf.attachments["qiantang-2021.yaml"].get_file().read_bytes()
        assert attached == DEFAULT.read_bytes()
        alts = {str(obj.Alt) for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and "/Alt" in obj}
        assert any("2025年目标突破1600亿元" in alt for alt in alts)
        info = pdf.docinfo
        assert "十四五" in str(info["/Keywords"]) and str(info["/Subject"])
        assert str(info["/CreationDate"]).startswith("D:20261129")
        with pdfplumber.open(path) as plumb:
            assert plumb.pages[0].width == pytest.approx(210 * MM, abs=0.5)  # no bleed on screen
        links = [a for p in pdf.pages[1:2] for a in p.obj.get("/Annots", [])]
        assert len(links) >= len(default_build.report.sections)  # clickable contents


def test_long_image_and_thumbnails(default_build):
    path = default_build.files["image"]
    with Image.open(path) as image:
        assert image.width == 1080 and image.format == "JPEG"
        top = image.crop((0, 0, 1080, 200)).convert("RGB")
        assert top.getpixel((540, 100)) != (255, 255, 255)  # starts with the cover, no bleed or marks
    assert path.stat().st_size <= 8 * 1024 * 1024
    assert len(default_build.thumbnails) == default_build.pages
    with Image.open(default_build.thumbnails[0]) as thumb:
        assert thumb.format == "PNG" and thumb.width == 360


def test_rgb_operator_in_print_file_fails_the_check(default_build, tmp_path):
    broken = tmp_path / "rgb-print.pdf"
    with pikepdf.open(default_build.files["print"]) as pdf:
        page = pdf.pages[2]
        page.contents_add(pdf.make_stream(b"q 1 0 0 rg 100 100 20 20 re f Q"), prepend=False)
        pdf.save(broken)
    failed = [f for f in check_paths([broken]) if not f.ok]
    assert failed and any("RGB" in f.message for f in failed), failed


def test_print_colours_are_the_themes_cmyk_and_others_are_converted(tmp_path):
    """One layout serves both editions: the print file swaps each sRGB colour as it is drawn.

    A theme colour becomes its designed CMYK value; a colour a layout spells
    itself (here pure red) gets a plain conversion, so no RGB reaches the file.
    """
    import shutil

    from tujie.build import PROJECT
    from tujie.theme import load_theme

    layouts = tmp_path / "layouts"
    shutil.copytree(PROJECT / "layouts", layouts)
    css = layouts / "booklet" / "style.css.j2"
    css.write_text(css.read_text(encoding="utf-8") + "\n.opener-title { color: #ff0000; }\n", encoding="utf-8")
    result = build_report(DEFAULT, Paths(output=tmp_path / "out", layouts=layouts), editions=("print", "screen"))
    with pikepdf.open(result.files["print"]) as pdf:
        cmyk = set(text_fill_colours(pdf))
    accent = tuple(v / 100 for v in load_theme(layouts / "booklet").colors["accent"].cmyk)
    assert accent in cmyk  # the big numbers: exactly the theme's CMYK
    assert (0, 1, 1, 0) in cmyk  # the red titles, converted
    with pdfplumber.open(result.files["screen"]) as pdf:
        title_colours = {c["non_stroking_color"] for c in pdf.pages[2].chars if c["size"] > 20}
    assert (1, 0, 0) in title_colours  # the screen file keeps the sRGB colour


def test_missing_bleed_fails_the_check(default_build, tmp_path, capsys):
    broken = tmp_path / "broken-print.pdf"
    with pikepdf.open(default_build.files["print"]) as pdf:
        del pdf.pages[3].obj["/BleedBox"]
        pdf.save(broken)
    findings = check_paths([broken])
    assert any(not f.ok and "第 4 页缺少 TrimBox 或 BleedBox" in f.message for f in findings)
    assert main(["check", str(broken)]) == 1
    assert "没有通过" in capsys.readouterr().out


def test_check_command_passes_on_a_good_output_folder(default_build, capsys):
    assert main(["check", str(default_build.out_dir)]) == 0
    out = capsys.readouterr().out
    assert "全部通过" in out and "PDF/X-4" in out and "PDF/A-3a" in out


def test_revision_shows_on_back_cover_in_file_names_and_metadata(default_build):
    revision = default_build.report.report.revision
    assert revision.label == "r1"
    for edition, path in default_build.files.items():
        if edition == "web":  # published at a stable address: the revision is in the page, not the name
            assert f"修订 {revision.label}" in path.read_text(encoding="utf-8")
            continue
        assert f"-{revision.label}-" in path.name, path
    import pypdfium2

    for edition in ("print", "screen"):
        with pikepdf.open(default_build.files[edition]) as pdf:
            assert f"修订 {revision.label}" in str(pdf.docinfo["/Subject"])
            assert f"修订 {revision.label}" in str(pdf.docinfo["/Keywords"])
            with pdf.open_metadata() as meta:
                assert f"修订 {revision.label}" in str(meta.get("dc:description"))
        doc = pypdfium2.PdfDocument(str(default_build.files[edition]))
        back = doc[len(doc) - 1].get_textpage().get_text_range()
        doc.close()
        assert f"修订 {revision.label}" in back and "2026年11月29日" in back


def test_cache_is_pruned_least_recently_used_first(tmp_path):
    import os

    from tujie.build import prune_cache

    cache = tmp_path / "cache"
    (cache / "pages").mkdir(parents=True)
    for n in range(5):
        path = cache / "pages" / f"{n}.png"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1000 + n, 1000 + n))  # 0 is the oldest
    prune_cache(cache, limit=2500)
    assert sorted(p.name for p in (cache / "pages").iterdir()) == ["3.png", "4.png"]


def text_fill_colours(pdf: pikepdf.Pdf) -> list[tuple[float, ...]]:
    """The CMYK fill colour of every text-showing operator in pages and their forms."""
    colours = []

    def walk(obj, seen):
        fill: tuple[float, ...] = (0, 0, 0, 1)
        stack = []
        for operands, operator in pikepdf.parse_content_stream(obj):
            op = str(operator)
            if op == "q":
                stack.append(fill)
            elif op == "Q" and stack:
                fill = stack.pop()
            elif op in ("k", "scn", "sc") and len(operands) == 4:
                fill = tuple(float(v) for v in operands)
            elif op in ("Tj", "TJ", "'", '"'):
                colours.append(fill)
        resources = obj.get("/Resources") if isinstance(obj, pikepdf.Object) else obj.obj.get("/Resources")
        for _, xobj in ((resources or {}).get("/XObject") or {}).items():
            if xobj.get("/Subtype") == "/Form" and xobj.objgen not in seen:
                seen.add(xobj.objgen)
                walk(xobj, seen)

    for page in pdf.pages:
        walk(page, set())
    return colours


def test_black_and_grey_text_in_print_is_pure_k(default_build):
    """Small text in neutral dark colours must not need four plates to line up."""
    with pikepdf.open(default_build.files["print"]) as pdf:
        colours = text_fill_colours(pdf)
    neutral_dark = [c for c in colours if c[3] >= 0.5 and max(c[:3]) - min(c[:3]) < 0.25 and max(c[:3]) < 0.5]
    assert len(neutral_dark) > 100  # body text, labels, captions, chart text
    assert all(c[:3] == (0, 0, 0) for c in neutral_dark), sorted(set(c for c in neutral_dark if c[:3] != (0, 0, 0)))


def test_check_finds_a_missing_glyph_box(tmp_path):
    """A PDF where WeasyPrint drew a .notdef box (no font has the character) fails the check."""
    import os
    import subprocess
    import sys

    from tujie.build import PROJECT

    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>')
    font = (PROJECT / "fonts" / "NotoSansSC-Regular.otf").as_uri()
    html = (f'<style>@font-face {{ font-family: T; src: url("{font}") }} body {{ font-family: T }}</style>'
            '<p>钱塘新区𠀀图解</p>')
    target = tmp_path / "box.pdf"
    script = ("import logging, sys; logging.basicConfig(); from weasyprint import HTML; "
              "HTML(string=sys.argv[1]).write_pdf(sys.argv[2])")
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "FONTCONFIG_PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script, html, str(target)], env=env, capture_output=True, text=True)
    assert ".notdef" in done.stderr  # WeasyPrint itself says it drew a box
    findings = check_paths([target])
    assert any(f.rule == "缺字" and not f.ok for f in findings)


def test_check_sees_no_missing_glyph_in_the_real_booklet(default_build):
    findings = [f for f in default_build.findings if f.rule == "缺字"]
    assert findings and all(f.ok for f in findings)


def test_the_glyph_check_parses_only_the_content_streams_it_has_not_seen(default_build, tmp_path, monkeypatch):
    """check.check_notdef keeps what each content stream shows by the stream's digest: checking the
    booklet again parses no stream, and a box drawn on one page of a revised file is still found there."""
    from tujie import check

    with pikepdf.open(default_build.files["screen"]) as pdf:
        assert check.check_notdef(pdf) == []
        parsed = []
        real = pikepdf.parse_content_stream
        monkeypatch.setattr(pikepdf, "parse_content_stream", lambda obj, *a: parsed.append(1) or real(obj, *a))
        assert check.check_notdef(pdf) == [] and parsed == []
        # page 5 shows glyph 0 (the .notdef box) in the first font it uses
        page = pdf.pages[4]
        font = str(next(iter(real(page, "Tf"))).operands[0])
        page.contents_add(pdf.make_stream(f"BT {font} 9 Tf 72 72 Td <0000> Tj ET".encode()), prepend=False)
        pdf.save(tmp_path / "boxed.pdf")
    with pikepdf.open(tmp_path / "boxed.pdf") as pdf:
        parsed.clear()
        assert check.check_notdef(pdf) == ["第 5 页画出了缺字方框（.notdef）"]
        assert len(parsed) == 1, "only the changed page's content is parsed again"


def test_a_kept_long_image_strip_pastes_only_the_pages_that_changed(default_build, tmp_path, monkeypatch):
    """A resident builder keeps the long image's strip (editions.Canvas): the next long image
    decodes none of the unchanged pages again, and shows the same pictures as one made afresh."""
    import numpy
    from PIL import ImageChops, ImageStat

    from tujie import editions

    changed, shorter = tmp_path / "changed.pdf", tmp_path / "shorter.pdf"
    with pikepdf.open(default_build.files["screen"]) as pdf:
        # a large red square on page 3: its picture must change, the other pages' must not
        pdf.pages[2].contents_add(pdf.make_stream(b"q 1 0 0 rg 100 200 300 300 re f Q"), prepend=False)
        pdf.save(changed)
        del pdf.pages[5]
        pdf.save(shorter)
    cache, canvas = tmp_path / "cache", editions.Canvas()
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))

    def strip(pdf, name: str, kept):
        opened.clear()
        editions.long_image([pdf], tmp_path / f"{name}.jpg", tmp_path / name, name, cache_dir=cache, canvas=kept)
        return real_open(tmp_path / f"{name}.jpg").convert("RGB")

    strip(default_build.files["screen"], "first", canvas)
    assert canvas.image is not None and len(canvas.keys) == default_build.pages
    drawn = []
    real_render = editions._render
    monkeypatch.setattr(editions, "_render", lambda page, width: drawn.append((page.index, width)) or
                        real_render(page, width))
    kept = strip(changed, "kept", canvas)
    assert opened == []  # 15 pages were on the strip already
    assert sorted(drawn) == [(2, 720), (2, 1080)]  # page 3 drawn again: its thumbnail, its place on the strip
    fresh = strip(changed, "fresh", None)
    assert len(opened) == default_build.pages  # without the strip: every page decoded (all are cached now)
    assert kept.size == fresh.size
    top = 0
    for height in canvas.heights:  # page by page: only JPEG noise between the two
        box = (0, top, kept.width, top + height)
        assert max(ImageStat.Stat(ImageChops.difference(kept.crop(box), fresh.crop(box))).mean) < 2.0
        top += height + 24
    page3 = kept.crop((0, sum(canvas.heights[:2]) + 48, kept.width, sum(canvas.heights[:3]) + 48))
    pixels = numpy.asarray(page3).astype(int)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)
    assert red.sum() > 100_000  # the red square
    # a page fewer: a new strip of the new length, not the old one
    short = strip(shorter, "short", canvas)
    assert short.size == strip(shorter, "short-fresh", None).size and len(canvas.keys) == default_build.pages - 1


def test_thumbnails_are_360_pixels_wide_whatever_the_page_width(tmp_path):
    """PDFium sizes a bitmap as ceil(width × scale) from a float32 width: at some widths (216 mm among
    them) a 720-pixel drawing came out 721 pixels wide, and the thumbnail 361."""
    from tujie import editions

    pdf = pikepdf.new()
    widths = list(range(90, 601))  # every whole-millimetre page width the report model allows
    for width in widths:
        pdf.add_blank_page(page_size=(width * MM, 297 * MM))
    pdf.save(tmp_path / "widths.pdf")
    thumbs = editions.thumbnails([tmp_path / "widths.pdf"], tmp_path / "pages", "w", cache_dir=tmp_path / "cache")
    sizes = {}
    for width, path in zip(widths, thumbs):
        with Image.open(path) as thumb:
            sizes[width] = thumb.width
    assert {w: px for w, px in sizes.items() if px != 360} == {}
