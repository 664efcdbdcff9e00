"""Issue 12: the print file's boxes are the page and bleed the report asks for.

Small reports (the corpus' base report) are built with 0, 3 and 5 mm of bleed;
the BleedBox, the artwork and the crop marks are read back from the real
print file, and preflight is shown to check against the report's own page.
"""

from __future__ import annotations

import pikepdf
import pypdfium2
import pytest

from test_bad_inputs import tiny_report
from test_editions import registration_lines
from tujie.build import Paths, build_report
from tujie.check import Geometry, check_paths

MM = 72 / 25.4


def report_with_page(tmp_path, page: str, name: str = "geometry.yaml"):
    source = tmp_path / name
    source.write_text(tiny_report().replace("sections:\n", f"page: {page}\nsections:\n", 1), encoding="utf-8")
    return source


@pytest.fixture(scope="module", params=[0, 3, 5], ids=lambda b: f"bleed-{b}mm")
def bled(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"bleed{request.param}")
    source = report_with_page(tmp, f"{{size: B5, bleed_mm: {request.param}}}")
    return request.param, build_report(source, Paths(output=tmp / "out"), editions=("print",))


def test_bleed_box_is_the_bleed_asked_for(bled):
    bleed_mm, result = bled
    with pikepdf.open(result.files["print"]) as pdf:
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            assert (trim[2] - trim[0]) / MM == pytest.approx(176, abs=0.05)
            assert (trim[3] - trim[1]) / MM == pytest.approx(250, abs=0.05)
            margins = [trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3]]
            assert [m / MM for m in margins] == pytest.approx([bleed_mm] * 4, abs=0.02)
    assert all(f.ok for f in result.findings)
    boxes = next(f for f in result.findings if f.rule == "页面框")
    assert f"出血 {bleed_mm} 毫米" in boxes.message and "176×250" in boxes.message


def test_artwork_reaches_the_bleed_box_and_marks_sit_outside(bled):
    """The cover's colour field is drawn right up to the BleedBox edge; beyond it only the marks."""
    bleed_mm, result = bled
    with pikepdf.open(result.files["print"]) as pdf:
        page = pdf.pages[0]
        media = [float(v) for v in page.obj.MediaBox]
        bleed = [float(v) for v in page.obj.BleedBox]
        marks = registration_lines(page)
    assert len(marks) == 8
    for x0, y0, x1, y1 in marks:
        xs, ys = sorted((x0, x1)), sorted((y0, y1))
        assert xs[1] <= bleed[0] or xs[0] >= bleed[2] or ys[1] <= bleed[1] or ys[0] >= bleed[3], (x0, y0, x1, y1)
    scale = 4
    doc = pypdfium2.PdfDocument(str(result.files["print"]))
    image = doc[0].render(scale=scale).to_pil().convert("RGB")
    doc.close()

    def pixel(x_pt, y_pt):
        return image.getpixel((int((x_pt - media[0]) * scale), int((media[3] - y_pt) * scale)))

    inside, outside = 0.25 * MM, 0.25 * MM  # a quarter millimetre either side of the BleedBox edge
    mid_x, mid_y = (bleed[0] + bleed[2]) / 2, (bleed[1] + bleed[3]) / 2
    for x, y in ((bleed[0] + inside, mid_y), (bleed[2] - inside, mid_y), (mid_x, bleed[3] - inside),
                 (mid_x, bleed[1] + inside)):
        assert pixel(x, y) != (255, 255, 255), ("artwork stops short of the BleedBox", x, y)
    for x, y in ((bleed[0] - outside, mid_y), (bleed[2] + outside, mid_y), (mid_x, bleed[3] + outside)):
        assert pixel(x, y) == (255, 255, 255), ("artwork beyond the BleedBox", x, y)


def test_preflight_fails_a_bleed_box_smaller_than_the_report_asks(bled, tmp_path):
    """A print file whose BleedBox is 3.5 mm (what WeasyPrint alone writes) when the report asks 5 mm."""
    bleed_mm, result = bled
    if bleed_mm != 5:
        pytest.skip("one shrunken file is enough")
    shrunk = tmp_path / "shrunk-print.pdf"
    with pikepdf.open(result.files["print"]) as pdf:
        for page in pdf.pages:
            t = [float(v) for v in page.obj.TrimBox]
            page.obj.BleedBox = pikepdf.Array([t[0] - 10, t[1] - 10, t[2] + 10, t[3] + 10])
        pdf.save(shrunk)
    failed = [f for f in check_paths([shrunk], Geometry(176, 250, 5)) if not f.ok]
    assert failed and all(f.rule == "页面框" for f in failed), failed
    assert "第 1 页出血不足报告要求的 5 毫米（BleedBox 距成品线 3.5 毫米）" in [f.message for f in failed]
    # the same file against a report page of another size fails on the size too
    failed = [f.message for f in check_paths([shrunk], Geometry(210, 297, 3.5)) if not f.ok]
    assert any("成品尺寸是 176×250 毫米，报告要求 210×297 毫米" in m for m in failed), failed
    # `render.py check` on the output folder reads the report's page from the build record
    folder_check = [f for f in check_paths([result.out_dir]) if f.rule == "页面框"]
    assert folder_check and all(f.ok for f in folder_check) and "出血 5 毫米" in folder_check[0].message
