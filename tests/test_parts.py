"""The booklet laid out in parts and joined (tujie/parts.py, tujie/merge.py).

The joined file must be the booklet a whole layout gives, with working
links, bookmarks, tags and one font subset per font; a revision must lay out
only the parts whose content changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pdfplumber
import pikepdf
import pypdfium2
import pytest

from conftest import DEFAULT, squash
from tujie import parts
from tujie.build import PROJECT, Paths, build_report, fonts_digest
from tujie.editions import page_fingerprints
from tujie.model import ChartBlock
from tujie.pdf import paginate, write_screen

_LAY_OUT = parts.lay_out


def chars_by_page(pdf_path: Path) -> list[list[tuple]]:
    with pdfplumber.open(pdf_path) as pdf:
        return [[(c["text"], round(c["x0"], 2), round(c["top"], 2), c["fontname"].partition("+")[2], round(c["size"], 2))
                 for c in page.chars] for page in pdf.pages]


def test_parts_joined_equal_the_booklet_laid_out_whole(default_build, tmp_path):
    """Every character on every page sits where a single layout of the whole booklet puts it."""
    html = default_build.html  # the whole booklet's final HTML
    roots = [PROJECT, DEFAULT.parent, Path("/usr/share/color/icc/ghostscript")]
    whole = tmp_path / "whole.pdf"
    write_screen(paginate(html.read_text(encoding="utf-8"), PROJECT, roots), whole)
    joined, single = chars_by_page(default_build.files["screen"]), chars_by_page(whole)
    assert len(joined) == len(single) == default_build.pages
    for number, (a, b) in enumerate(zip(joined, single), 1):
        assert a == b, f"page {number} differs"
    assert sum(map(len, joined)) > 5000


def footers(pdf_path: Path) -> dict[int, str]:
    """Page position → the page number printed in its footer (pages without a footer left out)."""
    found = {}
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            bottom = [c for c in page.chars if c["top"] > page.height - 20 * 72 / 25.4 and c["size"] < 9]
            text = "".join(c["text"] for c in sorted(bottom, key=lambda c: c["x0"]))
            # "3　section title" on left-hand pages, "section title　4" on right-hand ones
            folio = re.search(r"\d+$", text) if number % 2 else re.match(r"\d+", text)
            if folio:
                found[number] = folio.group()
    return found


def test_every_footer_shows_the_pages_position(default_build):
    numbered = footers(default_build.pdf)
    assert len(numbered) >= default_build.pages - 3  # all but cover, contents and back cover
    assert all(str(position) == shown for position, shown in numbered.items()), numbered


def test_contents_links_and_bookmarks_land_on_the_right_pages(default_build):
    with pikepdf.open(default_build.pdf) as pdf:
        pages = {page.obj.objgen: i + 1 for i, page in enumerate(pdf.pages)}
        dests = pikepdf.NameTree(pdf.Root.Names.Dests)
        doc = pypdfium2.PdfDocument(str(default_build.pdf))
        texts = [squash(doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
        doc.close()
        links = [a for a in pdf.pages[1].obj.Annots if a.Subtype == "/Link"]
        assert links and not any("/A" in a for a in links)  # no tujie-dest: URI left over
        targets = {str(a.Dest) for a in links}
        for section in default_build.report.sections:
            assert section.id in targets
            page = pages[dests[section.id][0].objgen]
            assert squash(section.title) in texts[page - 1]
        with pdf.open_outline() as outline:
            for item in outline.root:
                page = pages[item.destination[0].objgen]
                assert squash(item.title) in texts[page - 1] or item.title == "封面", item.title


def test_each_data_index_row_names_the_page_its_link_lands_on(default_build):
    """The data index's page numbers are text the pipeline writes (tujie/layout.py, ``page_no``):
    each row's number is the page its link goes to, and that page shows the figure's value."""
    with pikepdf.open(default_build.pdf) as pdf, pdfplumber.open(default_build.pdf) as plumbed:
        pages = {page.obj.objgen: i + 1 for i, page in enumerate(pdf.pages)}
        dests = pikepdf.NameTree(pdf.Root.Names.Dests)
        index = pages[dests["data-index"][0].objgen] - 1
        page = plumbed.pages[index]
        rows = 0
        for annot in pdf.pages[index].obj.get("/Annots", []):
            if str(annot.get("/Dest", "")).startswith("fig-"):
                xs, ys = sorted(float(v) for v in annot.Rect[::2]), sorted(float(v) for v in annot.Rect[1::2])
                shown = "".join(c["text"] for c in page.chars if xs[0] <= (c["x0"] + c["x1"]) / 2 <= xs[1]
                                and ys[0] <= page.height - (c["top"] + c["bottom"]) / 2 <= ys[1])
                target = pages[dests[str(annot.Dest)][0].objgen]
                assert shown == str(target), (str(annot.Dest), shown, target)
                figure = dict(default_build.report.figures())[str(annot.Dest)[4:]]
                assert squash(figure.display) in squash(plumbed.pages[target - 1].extract_text())
                rows += 1
        assert rows >= 40  # every figure of the default report's index page


def test_tag_tree_covers_every_page_once(default_build):
    with pikepdf.open(default_build.files["screen"]) as pdf:
        root = pdf.Root.StructTreeRoot
        nums = root.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        assert keys == sorted(set(keys)) and int(root.ParentTreeNextKey) == keys[-1] + 1
        page_keys = [int(page.obj.StructParents) for page in pdf.pages]
        annot_keys = [int(a.StructParent) for page in pdf.pages for a in page.obj.get("/Annots", [])]
        assert sorted(page_keys + annot_keys) == keys  # each page and link has exactly one entry
        objgens = {page.obj.objgen for page in pdf.pages}
        document = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
        assert str(document.S) == "/Document" and len(document.K) >= default_build.pages

        pages_named = []  # the page of every element that names one

        def walk(element):
            if isinstance(element, pikepdf.Dictionary) and element.get("/Type") == "/StructElem":
                if "/Pg" in element:
                    pages_named.append(element.Pg.objgen)
                for kid in element.get("/K", []) if isinstance(element.get("/K"), pikepdf.Array) else []:
                    walk(kid)

        for kid in document.K:
            walk(kid)
        assert set(pages_named) == objgens  # every page is tagged, and no element points at a copy of a page


def test_one_font_subset_per_font(default_build):
    for edition in ("screen", "print"):
        with pikepdf.open(default_build.files[edition]) as pdf:
            programs = {}
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0":
                    name = str(obj.BaseFont).partition("+")[2]
                    program = obj.DescendantFonts[0].FontDescriptor.FontFile3
                    programs.setdefault(name, set()).add(program.objgen)
            assert programs and all(len(v) == 1 for v in programs.values()), programs
    assert default_build.files["screen"].stat().st_size < 600 * 1024


def _icc_profiles(pdf: pikepdf.Pdf) -> dict[tuple, bytes]:
    """Every ICC profile stream a colour space anywhere in the file points at: objgen → content."""
    found, seen = {}, set()

    def walk(obj):
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):
            return
        if isinstance(obj, pikepdf.Array) and len(obj) == 2 and obj[0] == pikepdf.Name.ICCBased:
            found[obj[1].objgen] = obj[1].read_bytes()
            return
        if obj.is_indirect:
            if obj.objgen in seen:
                return
            seen.add(obj.objgen)
        for value in (obj.values() if isinstance(obj, pikepdf.Dictionary) else obj):
            walk(value)

    for obj in pdf.objects:
        walk(obj)
    for intent in pdf.Root.get("/OutputIntents", []):
        found[intent.DestOutputProfile.objgen] = intent.DestOutputProfile.read_bytes()
    return found


def test_a_colour_profile_is_stored_once(default_build):
    """Every part embeds the sRGB profile (tujie/merge._share_colour_profiles keeps one of each)."""
    for edition in ("screen", "print"):
        with pikepdf.open(default_build.files[edition]) as pdf:
            profiles = _icc_profiles(pdf)
            assert profiles, edition
            assert len(set(profiles.values())) == len(profiles), f"{edition}: the same profile stored more than once"


def test_a_revision_lays_out_only_the_parts_it_changes(tmp_path, monkeypatch):
    source = tmp_path / DEFAULT.name
    text = DEFAULT.read_text(encoding="utf-8")
    source.write_text(text, encoding="utf-8")
    paths = Paths(output=tmp_path / "out")
    first = build_report(source, paths)
    assert first.laid_out == len(first.parts) == len(first.report.sections) + 3  # front, index, end
    before = tmp_path / "before-screen.pdf"
    shutil.copyfile(first.files["screen"], before)

    renders = []
    render = pypdfium2.PdfPage.render
    monkeypatch.setattr(pypdfium2.PdfPage, "render", lambda page, *a, **k: renders.append(1) or render(page, *a, **k))
    source.write_text(text.replace("gdp_2019: {value: 1100,", "gdp_2019: {value: 1234,"), encoding="utf-8")
    second = build_report(source, paths)
    # the image edition drew again exactly the pages whose content changed
    salt = fonts_digest(PROJECT / "fonts")
    changed = [a != b for a, b in zip(page_fingerprints(before, salt), page_fingerprints(second.files["screen"], salt))]
    # (each twice: at the long image's width, and at twice the thumbnail's)
    assert 0 < sum(changed) < second.pages and len(renders) == 2 * sum(changed)
    # the sections that show the figure (in a sentence or a chart), and the data index that lists every figure;
    # cover, contents, notes pages and back cover come from the cache
    showing = [s for s in first.report.sections if "gdp_2019" in dict(s.figures())
               or any(isinstance(b, ChartBlock) and "gdp_2019" in b.figures for b in s.blocks)]
    assert len(showing) == 2
    assert second.laid_out == len(showing) + 1 and second.parts == first.parts
    doc = pypdfium2.PdfDocument(str(second.pdf))
    page3 = doc[2].get_textpage().get_text_range()
    index = doc[second.pages - 3].get_textpage().get_text_range()
    doc.close()
    assert "1234" in page3 and "1234" in index


def test_a_longer_section_moves_the_pages_after_it(tmp_path):
    """A section that grows a page: later sections, contents and data index follow."""
    source = tmp_path / DEFAULT.name
    text = DEFAULT.read_text(encoding="utf-8")
    source.write_text(text, encoding="utf-8")
    paths = Paths(output=tmp_path / "out")
    first = build_report(source, paths, editions=("screen",))
    # a theme with many more points in the first section
    grown = re.sub(r"(\n(\s+)- text: 全省大湾区首个成立的新区；)", lambda m: m.group(1) + "".join(
        f"\n{m.group(2)}- text: 补充说明第{n}条：为测试分页而加入的一句话，内容不少于二十个字。" for n in range(30)),
        text, count=1)
    assert grown != text
    source.write_text(grown, encoding="utf-8")
    second = build_report(source, paths, editions=("screen",))
    assert second.parts["section-0"] > first.parts["section-0"]
    numbered = footers(second.pdf)
    assert len(numbered) >= second.pages - 3
    assert all(str(position) == shown for position, shown in numbered.items()), numbered
    doc = pypdfium2.PdfDocument(str(second.pdf))
    texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    doc.close()
    contents = squash(texts[1])
    last = second.report.sections[-1]
    page = next(i + 1 for i, t in enumerate(texts) if i > 1 and squash(last.title) in squash(t))
    assert squash(last.title) + squash(last.kicker or "") + str(page) in contents


def test_a_picture_replaced_under_the_same_name_is_drawn_anew(tmp_path):
    """The HTML names a picture only by its path, so its contents must be in the part cache's key."""
    import numpy

    street = PROJECT / "source" / "sample-street-2025.yaml"
    src = tmp_path / "src"
    (src / "images").mkdir(parents=True)
    shutil.copyfile(street, src / street.name)
    picture = src / "images" / "wangjiang-map.svg"
    shutil.copyfile(PROJECT / "source" / "images" / picture.name, picture)
    paths = Paths(output=tmp_path / "out")

    def red_pixels(result) -> int:  # on all pages: the theme has no pure red
        doc = pypdfium2.PdfDocument(str(result.files["screen"]))
        try:
            count = 0
            for page in doc:
                pixels = numpy.asarray(page.render(scale=0.5).to_pil().convert("RGB")).astype(int)
                count += int(((pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)).sum())
            return count
        finally:
            doc.close()

    before = build_report(src / street.name, paths, editions=("screen",))
    assert red_pixels(before) == 0
    svg = picture.read_text(encoding="utf-8")
    colour = re.search(r"#[0-9a-fA-F]{6}", svg).group(0)  # the map's first colour, a large area
    picture.write_text(svg.replace(colour, "#ff0000"), encoding="utf-8")
    after = build_report(src / street.name, paths, editions=("screen",))
    assert after.laid_out > 0
    assert red_pixels(after) > 1000


def test_pages_drawn_from_the_parts_are_the_joined_files_pages(default_build, tmp_path):
    """The thumbnails and the long image are drawn from the parts' PDFs, beside the join
    (tujie/editions.long_image); drawn from the joined screen file they must be the same pictures."""
    from tujie.editions import thumbnails

    delivered = default_build.outputs["image"][1:]
    assert len(delivered) == default_build.pages
    again = thumbnails([default_build.files["screen"]], tmp_path / "pages", "joined", cache_dir=tmp_path / "cache")
    assert len(again) == len(delivered)
    for ours, joined in zip(delivered, again):
        assert ours.read_bytes() == joined.read_bytes(), ours.name


def _logged_lay_out(job):
    """parts.lay_out, noting each job in the file $JOB_LOG (a module function: the pool pickles it by name)."""
    import os

    with open(os.environ["JOB_LOG"], "a", encoding="utf-8") as f:  # from the forked layout workers too
        f.write(f"{job.name} {'real' if job.write else 'measured'}\n")
    return _LAY_OUT(job)


def test_a_first_build_lays_each_part_out_once(tmp_path, monkeypatch):
    """Without a last build to go by: every section but the first is measured alone (the first is
    measured as the real part it becomes), then each part is laid out once, the front, the data
    index and the end beside the sections on the page numbers guessed from the measurements."""
    log = tmp_path / "jobs.txt"
    monkeypatch.setenv("JOB_LOG", str(log))
    monkeypatch.setattr(parts, "lay_out", _logged_lay_out)
    result = build_report(DEFAULT, Paths(output=tmp_path / "out"), editions=("screen",), parallel=True)
    jobs = log.read_text(encoding="utf-8").splitlines()
    sections = len(result.report.sections)
    assert result.flow == frozenset()
    assert sorted(j for j in jobs if j.endswith("measured")) == [f"section-{i} measured" for i in range(1, sections)]
    real = [j.split()[0] for j in jobs if j.endswith("real")]
    assert sorted(real) == sorted(result.parts) and len(real) == len(set(real)) == result.laid_out


# ---------------------------------------------------------------- font subsets kept between writes


def _glyph_drawn(pdf_path: Path, char: str) -> bool:
    """Whether the regular font embedded in ``pdf_path`` has an outline for ``char``'s glyph."""
    import io

    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    from tujie.fonts import bundled

    with TTFont(bundled(PROJECT / "fonts")[400], lazy=True) as whole:
        name = whole.getBestCmap()[ord(char)]
        gid = whole.getGlyphID(name)
    with pikepdf.open(pdf_path) as pdf:
        (font,) = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"
                   and o.get("/Subtype") == "/Type0"]
        program = font.DescendantFonts[0].FontDescriptor.FontFile3.read_bytes()
    with TTFont(io.BytesIO(program)) as subset:
        glyphs = subset.getGlyphSet()
        pen = BoundsPen(glyphs)
        glyphs[subset.getGlyphName(gid)].draw(pen)
        return pen.bounds is not None


def test_a_font_subset_is_cut_once_per_glyph_set(tmp_path, monkeypatch):
    """A part written again with the same glyphs reuses the subset (tujie/pdf._subsets_kept); the
    file is the same bytes as when the subset was cut; new glyphs, or a new font configuration, cut anew."""
    from weasyprint.pdf.fonts import Font
    from weasyprint.text.fonts import FontConfiguration

    from tujie import pdf as tujie_pdf
    from tujie.fonts import bundled

    cuts = []
    subset = Font.subset
    monkeypatch.setattr(Font, "subset", lambda font, *args: (cuts.append(font.family), subset(font, *args))[1])
    face = bundled(PROJECT / "fonts")[400]

    def written(config, text: str, name: str) -> Path:
        html = (f"<html lang=\"zh-CN\"><style>@font-face {{ font-family: T; src: url('{face.as_uri()}'); }} body {{ font-family: T; }}"
                f"</style><p>{text}</p>")
        target = tmp_path / name
        write_screen(paginate(html, PROJECT, [PROJECT / "fonts"], config), target)
        return target

    config = FontConfiguration()
    first = written(config, "地区生产总值 2003 亿元", "first.pdf")
    assert len(cuts) == 1
    again = written(config, "地区生产总值 2003 亿元", "again.pdf")
    assert len(cuts) == 1, "the same glyphs were cut again"
    assert again.read_bytes() == first.read_bytes()
    assert not _glyph_drawn(again, "4")

    revised = written(config, "地区生产总值 2004 亿元", "revised.pdf")
    assert len(cuts) == 2
    assert _glyph_drawn(revised, "4") and not _glyph_drawn(revised, "3")

    written(FontConfiguration(), "地区生产总值 2003 亿元", "other-config.pdf")
    assert len(cuts) == 3, "a subset was taken from another font configuration"
    assert len(tujie_pdf._subsets[config]) == 2
    assert Font.clean.__qualname__ == "Font.clean", "WeasyPrint's own clean is not back after a write"


def test_the_kept_subsets_rely_on_the_pinned_font_clean():
    """Fails when WeasyPrint is upgraded: check that Font.clean still only subsets static fonts
    (tujie/pdf._subsets_kept), then update PINNED_CLEAN."""
    import hashlib
    import inspect

    from weasyprint.pdf.fonts import Font

    from tujie.pdf import PINNED_CLEAN

    assert hashlib.sha256(inspect.getsource(Font.clean).encode()).hexdigest() == PINNED_CLEAN


def test_a_join_cuts_each_font_subset_once_per_glyph_set(tmp_path, monkeypatch):
    """Joining the same parts again takes the fonts' subsets from the last join (tujie/merge._packed_subset);
    the file is the same bytes; a font file that changed on disk is cut again."""
    from tujie import merge
    from tujie.fonts import bundled

    font_dir = tmp_path / "fonts"
    font_dir.mkdir()
    for path in (PROJECT / "fonts").glob("*.otf"):
        shutil.copyfile(path, font_dir / path.name)
    faces = "".join(f"@font-face {{ font-family: T; font-weight: {weight}; src: url('{path.as_uri()}'); }}"
                    for weight, path in bundled(font_dir).items())
    part_files = []
    for i, text in enumerate(["地区生产总值 <b>2003</b> 亿元", "常住人口 <b>85.6</b> 万人"]):
        html = f"<html lang='zh-CN'><style>{faces} body {{ font-family: T; }}</style><p>{text}</p></html>"
        part_files.append(tmp_path / f"part-{i}.pdf")
        write_screen(paginate(html, tmp_path, [font_dir]), part_files[-1])

    cuts = []
    subset = merge._subset
    monkeypatch.setattr(merge, "_subset", lambda path, glyphs: (cuts.append(path.name), subset(path, glyphs))[1])
    merge._packed_subset.cache_clear()
    merge.merge_parts(part_files, tmp_path / "first.pdf", font_dir)
    assert sorted(cuts) == ["NotoSansSC-Bold.otf", "NotoSansSC-Regular.otf"]
    merge.merge_parts(part_files, tmp_path / "again.pdf", font_dir)
    assert len(cuts) == 2, "the same glyphs were cut again"
    assert (tmp_path / "again.pdf").read_bytes() == (tmp_path / "first.pdf").read_bytes()

    regular = font_dir / "NotoSansSC-Regular.otf"
    os.utime(regular, ns=(regular.stat().st_atime_ns, regular.stat().st_mtime_ns + 10**9))
    merge.merge_parts(part_files, tmp_path / "touched.pdf", font_dir)
    assert cuts[2:] == ["NotoSansSC-Regular.otf"]


def test_a_large_stream_is_deflated_once(tmp_path, monkeypatch):
    """Writing the same streams again takes their deflated form from memory (tujie/pdf._deflate_kept): the
    file is the same bytes as one pydyf deflates itself; a revised page is deflated anew."""
    import zlib

    from tujie import pdf as tujie_pdf
    from tujie.fonts import bundled

    face = bundled(PROJECT / "fonts")[400]
    sentence = "钱塘新区地区生产总值突破{}亿元，规模以上工业增加值增长百分之十二。"

    def document(value: int):
        html = (f"<html lang='zh-CN'><style>@font-face {{ font-family: T; src: url('{face.as_uri()}'); }}"
                f"@page {{ size: 400mm 600mm; }} body {{ font-family: T; font-size: 6pt; }} p {{ margin: 0; }}</style>"  # one page
                + "".join(f"<p>{sentence.format(value if i == 0 else 1100)}</p>" for i in range(120)) + "</html>")
        return paginate(html, PROJECT, [PROJECT / "fonts"])

    deflated = []
    real = zlib.compress
    monkeypatch.setattr(tujie_pdf, "zlib", type("zlib", (), {
        "compress": staticmethod(lambda data, *level: (deflated.append(len(data)), real(data, *level))[1]),
        "compressobj": staticmethod(zlib.compressobj), "Z_DEFAULT_COMPRESSION": zlib.Z_DEFAULT_COMPRESSION}))
    tujie_pdf._deflated.clear()
    large = lambda: [n for n in deflated if n >= tujie_pdf._DEFLATE_FROM]  # noqa: E731

    original = document(1100)
    write_screen(original, tmp_path / "first.pdf")
    first = len(large())
    assert first >= 2  # the page and the font subset, at least
    with pikepdf.open(tmp_path / "first.pdf") as pdf:
        assert len(pdf.pages) == 1 and len(pdf.pages[0].Contents.read_bytes()) >= tujie_pdf._DEFLATE_FROM
    write_screen(original, tmp_path / "again.pdf")
    assert len(large()) == first, "a stream deflated before was deflated again"
    assert (tmp_path / "again.pdf").read_bytes() == (tmp_path / "first.pdf").read_bytes()

    monkeypatch.setattr(tujie_pdf, "_DEFLATE_FROM", 10**12)  # nothing kept: pydyf's own deflate, as it was
    write_screen(original, tmp_path / "plain.pdf")
    assert (tmp_path / "plain.pdf").read_bytes() == (tmp_path / "first.pdf").read_bytes()
    monkeypatch.undo()

    deflated.clear()
    monkeypatch.setattr(tujie_pdf, "zlib", type("zlib", (), {
        "compress": staticmethod(lambda data, *level: (deflated.append(len(data)), real(data, *level))[1]),
        "compressobj": staticmethod(zlib.compressobj), "Z_DEFAULT_COMPRESSION": zlib.Z_DEFAULT_COMPRESSION}))
    write_screen(document(1010), tmp_path / "revised.pdf")  # the same glyphs, so the same font subset
    assert len(large()) == 1, "only the revised page is deflated anew"
    assert "1010" in pdfplumber.open(tmp_path / "revised.pdf").pages[0].extract_text()
    import pydyf

    assert pydyf.zlib is zlib, "pydyf's own zlib is not back after a write"


def test_the_kept_deflate_relies_on_the_pinned_pydyf():
    """Fails when pydyf is upgraded: check that Stream.data still deflates each stream with one
    compressobj fed once (tujie/pdf._deflate_kept), then update PINNED_DEFLATE."""
    import hashlib
    import inspect

    import pydyf

    from tujie.pdf import PINNED_DEFLATE

    assert hashlib.sha256(inspect.getsource(pydyf.Stream.data.fget).encode()).hexdigest() == PINNED_DEFLATE


def _tree(element, out=None, depth=0) -> list:
    out = [] if out is None else out
    out.append((depth, element.tag, sorted(element.attrib.items()), element.text, element.tail))
    for child in element:
        _tree(child, out, depth + 1)
    return out


@pytest.mark.parametrize("name", ["qiantang-2021", "sample-street-2025", "sample-town-2025"])
def test_every_part_parses_as_an_html5_parser_would(name, tmp_path, monkeypatch):
    """tujie/fasthtml.py parses every part of every report in source/ into exactly the tree
    tinyhtml5 (WeasyPrint's parser) builds: tags, namespaces, attributes, text and tails."""
    import tinyhtml5

    from tujie import fasthtml

    html = {}
    lay_out = parts.lay_out
    monkeypatch.setattr(parts, "lay_out", lambda job: html.setdefault(job.name, job.html) and lay_out(job))
    build_report(PROJECT / "source" / f"{name}.yaml", Paths(output=tmp_path), editions=("screen",), parallel=False)
    assert {"front", "index", "end"} <= set(html) and any(n.startswith("section-") for n in html)
    for part, text in html.items():
        fast = fasthtml.parse(text)
        assert fast is not None, f"{part}: left to tinyhtml5"
        assert _tree(fast) == _tree(tinyhtml5.parse(text, namespace_html_elements=False)), part
    assert any(e.tag == f"{{{fasthtml.SVG}}}svg" for text in html.values() for e in fasthtml.parse(text).iter())


@pytest.mark.parametrize("body", [
    "<p>一<div>二</div></p>",  # HTML5 closes the paragraph before the div
    "<table><tr><td>1</td></tr></table>",  # HTML5 adds a tbody
    "<ul><li>一<div><li>二</li></div></li></ul>",  # HTML5 closes the first item
    "<p>一&nbsp;二</p>",  # not an XML entity
    "<p>一<!-- 注 -->二</p>",  # expat drops comments
    '<p title="一\n二">三</p>',  # XML turns the newline into a space
    "<p>一<p>二</p>",  # HTML5 closes the first paragraph; XML refuses it
    "<p class=x>一</p>",  # unquoted
    "<DIV>一</DIV>",  # HTML5 lowercases names
    '<p dataPage="3">一</p>',
    "<style>p::after { content: '&amp;' }</style>",  # raw text: HTML5 decodes no entity there
    "<pre>\n一</pre>",  # HTML5 drops the first newline
])
def test_html_that_may_parse_differently_is_left_to_weasyprint(body):
    from tujie import fasthtml

    assert fasthtml.parse(f"<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n</head>\n"
                          f"<body>\n{body}\n</body>\n</html>\n") is None


def test_the_fast_tree_matches_html5_around_head_and_body():
    import tinyhtml5

    from tujie import fasthtml

    for text in ['<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>图解</title>\n</head>\n'
                 '<body>\n<p>一<img src="data:," alt="图"><svg viewBox="0 0 2 2"><path d="M0 0h2"/></svg></p>\n</body>\n</html>\n',
                 '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>  \n']:
        assert _tree(fasthtml.parse(text)) == _tree(tinyhtml5.parse(text, namespace_html_elements=False))


def test_the_fast_parse_relies_on_the_pinned_html_constructor():
    """Fails when WeasyPrint is upgraded: check that HTML.__init__ still only parses with tinyhtml5 and
    keeps base_url, url_fetcher, media_type, wrapper_element and etree_element (tujie/pdf._html), then
    update PINNED_HTML_INIT."""
    import hashlib
    import inspect

    from weasyprint import HTML

    from tujie.pdf import PINNED_HTML_INIT

    assert hashlib.sha256(inspect.getsource(HTML.__init__).encode()).hexdigest() == PINNED_HTML_INIT


def test_paginate_leaves_only_what_may_differ_to_tinyhtml5(monkeypatch):
    """pdf.paginate parses a part's HTML with tujie/fasthtml.py (tinyhtml5 not called), and HTML it
    cannot vouch for with WeasyPrint's own parser; both lay out the same text."""
    import tinyhtml5
    import weasyprint

    calls = []
    real = tinyhtml5.parse
    monkeypatch.setattr(weasyprint.tinyhtml5, "parse", lambda *a, **k: calls.append(1) or real(*a, **k))
    page = '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n</head>\n<body>\n{}\n</body>\n</html>\n'
    fast = paginate(page.format("<p>钱塘新区 2003 亿元</p>"), PROJECT, [PROJECT / "fonts"])
    assert calls == []
    slow = paginate(page.format("<p>钱塘新区&nbsp;2003 亿元</p>"), PROJECT, [PROJECT / "fonts"])
    assert calls == [1]
    assert len(fast.pages) == len(slow.pages) == 1


def test_each_part_is_fingerprinted_once_when_written(tmp_path, monkeypatch):
    """The layout worker keeps the page fingerprints of each part it writes (parts.Part.prints): the
    long image of a revision fingerprints only the parts laid out again, and its pictures are the ones
    reading every PDF gives."""
    from tujie import editions

    source = tmp_path / DEFAULT.name
    text = DEFAULT.read_text(encoding="utf-8")
    source.write_text(text, encoding="utf-8")
    paths = Paths(output=tmp_path / "out")
    build_report(source, paths, parallel=False)
    salt = editions.fingerprint_salt(fonts_digest(paths.fonts, paths.cache))
    kept = [parts.Part(**json.loads(meta.read_text(encoding="utf-8"))) for meta in (paths.cache / "parts").glob("*.json")]
    written = [p for p in kept if p.prints]
    assert len(written) >= 9 and all(p.prints_of == parts.prints_tag(salt) for p in written)
    assert all(p.prints == editions.page_fingerprints(p.pdf(paths.cache / "parts", "screen"), salt) for p in written)

    fingerprinted = []
    real = editions.page_fingerprints
    monkeypatch.setattr(editions, "page_fingerprints", lambda path, *a: fingerprinted.append(path) or real(path, *a))
    source.write_text(text.replace("gdp_2019: {value: 1100,", "gdp_2019: {value: 1234,"), encoding="utf-8")
    second = build_report(source, paths, parallel=False)
    assert len(fingerprinted) == second.laid_out == 3, fingerprinted
    again = tmp_path / "again"
    monkeypatch.undo()
    fresh = editions.thumbnails([second.files["screen"]], again, "x", cache_dir=tmp_path / "fresh-cache")
    assert [p.read_bytes() for p in fresh] == [p.read_bytes() for p in second.thumbnails]
