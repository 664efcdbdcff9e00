"""Issue 12: a district's own look from its data — colours, logo, page sizes — read from the real files."""

from __future__ import annotations

import shutil

import pikepdf
import pytest

from test_bad_inputs import tiny_report
from tujie.brand import contrast, icc_cmyk, luminance
from tujie.build import Paths, build_report
from tujie.check import Geometry, check_paths
from tujie.cli import main
from tujie.load import load_report
from tujie.theme import naive_cmyk

MM = 72 / 25.4
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
        '<circle cx="20" cy="20" r="18" fill="#ffffff"/><path d="M10 24 L20 10 L30 24 Z" fill="#1b5e20"/></svg>')
ACCENT = "#b3261e"


def themed(tmp_path, theme: str, page: str = "{width_mm: 200, height_mm: 260}", name: str = "brand.yaml"):
    source = tmp_path / name
    (tmp_path / "logo.svg").write_text(LOGO, encoding="utf-8")
    source.write_text(tiny_report().replace("sections:\n", f"theme:\n{theme}page: {page}\nsections:\n", 1),
                      encoding="utf-8")
    return source


def fills(pdf_path) -> set[tuple[float, ...]]:
    """Every fill colour set in the content streams of pages and their forms (rg, k, sc, scn)."""
    found = set()

    def walk(obj, seen):
        for operands, operator in pikepdf.parse_content_stream(obj):
            if str(operator) in ("rg", "k", "sc", "scn"):
                try:  # a pattern name (scn /P0) is not a colour
                    found.add(tuple(round(float(v), 3) for v in operands))
                except (TypeError, ValueError):
                    pass
        resources = obj.get("/Resources") if isinstance(obj, pikepdf.Object) else obj.obj.get("/Resources")
        for _, xobj in ((resources or {}).get("/XObject") or {}).items():
            if xobj.get("/Subtype") == "/Form" and xobj.objgen not in seen:
                seen.add(xobj.objgen)
                walk(xobj, seen)

    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            walk(page, set())
    return found


@pytest.fixture(scope="module")
def branded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("brand")
    source = themed(tmp, '  primary: {rgb: "#1b5e20", cmyk: [80, 20, 90, 30]}\n'
                         f'  accent: "{ACCENT}"\n  series: ["#1b5e20", "#6a1b9a"]\n  logo: logo.svg\n')
    return build_report(source, Paths(output=tmp / "out"), editions=("print", "screen"), impose=True)


def test_primary_is_exactly_its_cmyk_in_print_and_its_srgb_on_screen(branded):
    printed, screen = fills(branded.files["print"]), fills(branded.files["screen"])
    assert (0.8, 0.2, 0.9, 0.3) in printed
    assert tuple(round(v / 255, 3) for v in (0x1B, 0x5E, 0x20)) in screen
    assert not any(len(c) == 3 for c in printed)  # and no RGB reached the print file


def test_a_colour_without_cmyk_goes_through_the_output_intent_profile(branded):
    """The accent has no cmyk: the print file holds littleCMS's conversion, not the naive formula."""
    profile = Paths().cmyk_profile
    converted = tuple(v / 100 for v in icc_cmyk(ACCENT, profile))
    naive = naive_cmyk(*(int(ACCENT[i:i + 2], 16) / 255 for i in (1, 3, 5)))
    assert converted != tuple(round(v, 2) for v in naive)
    assert tuple(round(v, 3) for v in converted) in fills(branded.files["print"])


def test_custom_page_size_and_logo_on_cover_and_back(branded):
    assert all(f.ok for f in branded.findings)
    with pikepdf.open(branded.files["print"]) as pdf:
        trim = [float(v) for v in pdf.pages[0].obj.TrimBox]
        assert ((trim[2] - trim[0]) / MM, (trim[3] - trim[1]) / MM) == pytest.approx((200, 260), abs=0.05)
    assert all(f.ok for f in check_paths([branded.files["imposed"]], Geometry(200, 260, 3)))
    with pikepdf.open(branded.files["screen"]) as pdf:
        alts = [(str(e.get("/Alt")), e.get("/Pg")) for e in pdf.objects
                if isinstance(e, pikepdf.Dictionary) and e.get("/Type") == "/StructElem" and "/Alt" in e]
        pages = {pdf.pages.index(pikepdf.Page(pg)) for alt, pg in alts if alt == "青禾镇人民政府标志" and pg is not None}
        assert pages == {0, len(pdf.pages) - 1}, alts  # the logo on the cover and on the back cover


@pytest.mark.parametrize("size, width, height", [("大16开", 210, 285), ("正16开", 185, 260), ("B5", 176, 250)])
def test_named_print_shop_sizes(tmp_path, size, width, height):
    source = themed(tmp_path, "  accent: \"#b3261e\"\n", page=f"{{size: {size}}}")
    page = load_report(source).page
    assert (page.width_mm, page.height_mm) == (width, height)


def run_cli(source, tmp_path, capsys) -> tuple[int, str]:
    code = main([str(source), "-o", str(tmp_path / "out"), "-e", "screen"])
    return code, capsys.readouterr().err


def test_white_text_on_a_light_primary_is_refused_with_the_field(tmp_path, capsys):
    source = themed(tmp_path, '  primary: "#ffd54f"\n')
    code, err = run_cli(source, tmp_path, capsys)
    assert code == 1 and "Traceback" not in err
    assert "颜色对比度不足" in err and "4.5:1" in err and "字段 theme.primary" in err and "第 8 行" in err, err
    assert f"{contrast('#ffffff', '#ffd54f'):.1f}:1" in err


def test_light_series_colour_is_refused_with_its_index(tmp_path, capsys):
    source = themed(tmp_path, '  series: ["#1b5e20", "#fff59d"]\n')
    code, err = run_cli(source, tmp_path, capsys)
    assert code == 1 and "字段 theme.series[1]" in err and "彩色面板上的白字" in err, err


@pytest.mark.parametrize("logo, words", [("../logo.svg", "报告所在文件夹以外"), ("/etc/passwd.svg", "报告所在文件夹以外"),
                                         ("missing.svg", "找不到标志文件")])
def test_logo_outside_the_report_folder_or_missing_is_refused(tmp_path, capsys, logo, words):
    folder = tmp_path / "report"
    folder.mkdir()
    source = themed(folder, f"  logo: {logo}\n")
    shutil.copy(folder / "logo.svg", tmp_path / "logo.svg")
    code, err = run_cli(source, tmp_path, capsys)
    assert code == 1 and words in err and "字段 theme.logo" in err, err


def test_wcag_contrast_formula():
    assert contrast("#ffffff", "#000000") == pytest.approx(21)
    assert luminance("#ffffff") == pytest.approx(1)
    assert contrast("#ffffff", "#767676") == pytest.approx(4.54, abs=0.01)  # the WCAG 4.5:1 grey
