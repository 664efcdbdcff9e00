"""The cover's QR code (report.web_url), read back from the real PDFs at print resolution."""

from __future__ import annotations

import pikepdf
import pypdfium2

from conftest import SAMPLE
from tujie.build import Paths, build_report
from tujie.check import check_pdf
from tujie.qr import read_codes

MM = 72 / 25.4


def test_print_and_screen_covers_carry_a_qr_code_that_decodes_to_web_url(sample_build):
    url = sample_build.report.report.web_url
    assert url and url.startswith("https://example.com/")
    for edition in ("print", "screen"):
        codes = read_codes(sample_build.files[edition], 0, dpi=300)
        assert [c.text for c in codes] == [url]
        assert codes[0].size_mm >= 20 and codes[0].quiet_zone
        # the caption sits under it, as text
        doc = pypdfium2.PdfDocument(str(sample_build.files[edition]))
        assert "扫码阅读网页版" in doc[0].get_textpage().get_text_range()
        doc.close()
    findings = [f for f in sample_build.findings if f.rule == "二维码"]
    assert len(findings) == 2 and all(f.ok and url in f.message for f in findings)


def test_the_qr_code_is_pure_black_in_print(sample_build):
    """The stroked path with the most subpaths on the cover is the code: K only, at 100 %."""
    with pikepdf.open(sample_build.files["print"]) as pdf:
        stroke, fill, moves, paths = None, None, 0, []
        for operands, operator in pikepdf.parse_content_stream(pdf.pages[0]):
            op = str(operator)
            if op in ("SCN", "K"):
                stroke = tuple(float(v) for v in operands)
            elif op in ("scn", "k"):
                fill = tuple(float(v) for v in operands)
            elif op == "m":
                moves += 1
            elif op in ("S", "s", "B", "b", "f", "F", "n"):
                paths.append((moves, op, stroke if op in ("S", "s") else fill, stroke if op in ("B", "b") else None))
                moves = 0
    moves, op, colour, also_stroked = max(paths)
    assert moves > 100 and colour == (0, 0, 0, 1) and also_stroked in (None, (0, 0, 0, 1))


def test_changing_the_url_changes_the_code(tmp_path):
    other = "https://example.com/another-address/"
    source = tmp_path / SAMPLE.name
    text = SAMPLE.read_text(encoding="utf-8")
    assert "web_url: https://example.com/qinghe-2025/" in text
    source.write_text(text.replace("https://example.com/qinghe-2025/", other), encoding="utf-8")
    result = build_report(source, Paths(output=tmp_path / "out"), editions=("screen",))
    assert [c.text for c in read_codes(result.files["screen"])] == [other]


def test_a_print_file_whose_code_leads_elsewhere_fails_preflight(sample_build):
    report = sample_build.report
    moved = report.model_copy(update={"report": report.report.model_copy(
        update={"web_url": "https://example.com/where-the-web-edition-really-is/"})})
    failed = [f for f in check_pdf(sample_build.files["print"], moved) if not f.ok]
    assert [f.rule for f in failed] == ["二维码"]
    assert "https://example.com/qinghe-2025/" in failed[0].message


def test_a_report_without_web_url_has_no_code(default_build):
    assert default_build.report.report.web_url is None
    assert read_codes(default_build.files["print"]) == []
    assert "二维码" not in {f.rule for f in default_build.findings}
