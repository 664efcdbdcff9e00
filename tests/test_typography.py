"""Chinese typesetting (tujie/typeset), measured on rendered PDFs.

Glyph positions come from the PDF (pdfplumber char boxes, pypdfium2 text);
where a test needs to know which lines are justified and where their column
ends, it lays the same HTML out again and matches lines by their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
import weasyprint
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from conftest import DEFAULT
from tujie.build import PROJECT, Paths, build_report, font_files
from tujie.load import load_report
from tujie.typeset import clreq, install, patch

PT = 0.75  # CSS px → pt

# A text full of punctuation: every prohibition, pair and mixed-script case the rules know.
STRESS = (
    "他说：“‘钱塘’——新区！”（见《规划》第3～5页）。马克思·恩格斯、列宁／斯大林……“十四五”时期，"
    "GDP增长8.5%以上；“1100亿元”！？《〈钱塘〉年鉴》（2021）：“好（的）。”，“（注）”——再说……"
    "温度25℃，占比50％；甲·乙·丙、丁／戊——己……庚“辛”（壬）《癸》。"
)
STRESS_WIDTHS_MM = range(30, 92, 2)


# ---------------------------------------------------------------- helpers


@dataclass
class Line:
    page: int
    baseline: float
    chars: list[dict]

    @property
    def text(self) -> str:
        return "".join(c["text"] for c in self.chars)

    @property
    def start(self) -> float:
        return self.chars[0]["x0"]

    @property
    def end(self) -> float:
        """Where the last glyph's advance ends (pdfplumber x is CSS pt from the trim box)."""
        return self.chars[-1]["x1"]


def pdf_lines(path: Path, split_em: float = 1.5) -> list[Line]:
    """Text lines of a PDF in reading order: glyphs on one baseline, split where a gap exceeds ``split_em``."""
    lines = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages):
            rows: dict[float, list[dict]] = {}
            for char in page.chars:
                if char["upright"] and char["text"].strip():
                    rows.setdefault(round(char["matrix"][5], 1), []).append(char)
            for baseline in sorted(rows, reverse=True):
                chars = sorted(rows[baseline], key=lambda c: c["x0"])
                current = [chars[0]]
                for before, after in zip(chars, chars[1:]):
                    if after["x0"] - before["x1"] > split_em * before["size"]:
                        lines.append(Line(number, baseline, current))
                        current = []
                    current.append(after)
                lines.append(Line(number, baseline, current))
    return lines


def font_faces() -> str:
    return "\n".join(f'@font-face {{ font-family: "Noto Sans SC"; font-weight: {weight}; src: url("{url}"); }}'
                     for weight, url in font_files(PROJECT / "fonts").items())


def render(body: str, target: Path, css: str = "") -> Path:
    """Lay out an HTML body in the bundled font with the typesetting patch; return the PDF."""
    install()
    html = f"""<html lang="zh-CN"><head><meta charset="utf-8"><style>{font_faces()}
        @page {{ size: 210mm 1200mm; margin: 10mm; }} body {{ margin: 0; }}
        html {{ font: 10.5pt/1.7 "Noto Sans SC"; }} p {{ margin: 0 0 3mm; }} {css}</style></head>
        <body>{body}</body></html>"""
    HTML(string=html, base_url=str(PROJECT) + "/").write_pdf(target)
    return target


def pdfium_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def rule_violations(lines: list[Line]) -> list[str]:
    """Lines starting with a mark that may not start one, ending with an opening mark, or splitting —— or ……"""
    bad = []
    for line, following in zip(lines, lines[1:] + [None]):
        text = line.text
        if text[0] in clreq.NO_LINE_START or text[-1] in clreq.NO_LINE_END:
            bad.append(text)
        elif following and text[-1] in clreq.INSEPARABLE and following.text[0] == text[-1]:
            bad.append(text + "|" + following.text)
    return bad


@dataclass
class LaidOutLine:
    page: int
    text: str  # without whitespace
    left: float  # column edges, pt
    right: float
    justified: bool
    last: bool  # last line of its block on this page


def laid_out_lines(html_path: Path) -> list[LaidOutLine]:
    """Every line box of a document laid out again by WeasyPrint, with its column edges."""
    install()
    document = HTML(filename=str(html_path), base_url=str(PROJECT) + "/").render()
    found = []

    def text_of(box) -> str:
        if isinstance(box, boxes.TextBox):
            return box.text
        if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            return "".join(text_of(child) for child in box.children if child.is_in_normal_flow())
        return ""

    def walk(box, page: int) -> None:
        children = getattr(box, "children", [])
        lines = [child for child in children if isinstance(child, boxes.LineBox)]
        for n, line in enumerate(lines):
            text = re.sub(r"\s", "", text_of(line))
            if text:
                left = box.content_box_x() * PT
                found.append(LaidOutLine(page, text, left, left + box.width * PT,
                                         line.style["text_align_all"] == "justify", n == len(lines) - 1))
        for child in children:
            if not isinstance(child, boxes.LineBox):
                walk(child, page)

    for number, page in enumerate(document.pages):
        walk(page._page_box, number)
    return found


# ---------------------------------------------------------------- the patch and the rules


def test_patch_matches_the_pinned_weasyprint():
    """Fails when WeasyPrint is upgraded: re-check tujie/typeset/patch.py against the new
    sources of the functions it replaces, then update PINNED."""
    assert weasyprint.__version__ == patch.WEASYPRINT_VERSION
    assert patch.changed_functions() == []


def test_install_is_idempotent_and_reversible():
    install()
    install()
    assert patch.installed()
    patch.uninstall()
    assert not patch.installed()
    install()
    assert patch.installed()


def test_clreq_rules():
    assert clreq.forbidden_breaks("字，字") == [1]
    assert clreq.forbidden_breaks("字“字") == [2]  # after the opening quote, not before it
    assert clreq.forbidden_breaks("字——字") == [2]
    assert clreq.forbidden_breaks("马克思·恩格斯") == [3]
    assert clreq.compressed_marks("好。”") == [1]  # closing + closing: the first one
    assert clreq.compressed_marks("字“（字") == [2]  # opening + opening: the second one
    assert clreq.compressed_marks("说：“好") == [2]  # stop + opening: the opening one
    assert clreq.compressed_marks("（字）") == []
    gap = clreq.justification_gap
    assert gap("字", "字") == gap("年", "2") == gap("。", "字") == clreq.INTER_CHARACTER
    assert gap(" ", "a") == clreq.WORD_SPACE
    for before, after in ["11", "0.", "aD", "字，", "字”", "（字", "——", "……", "a "]:
        assert gap(before, after) is None, before + after
    assert clreq.autospace("年", "2") and clreq.autospace("P", "增") and not clreq.autospace("%", "以")


# ---------------------------------------------------------------- the default report


def test_justified_lines_of_the_default_report_end_at_the_column_edge(default_build):
    html = default_build.html
    laid_out = laid_out_lines(html)
    measured = []
    for line in pdf_lines(default_build.pdf):
        text = re.sub(r"\s", "", line.text)
        match = next((lo for lo in laid_out if lo.page == line.page and lo.text == text
                      and lo.left - 1 <= line.start <= lo.right), None)
        if match and match.justified and not match.last:
            measured.append((round(line.end - match.right, 2), line.page + 1, line.text))
    assert len(measured) >= 25, "too few justified lines found to measure"
    assert [m for m in measured if abs(m[0]) > 0.5] == []


def test_no_line_of_the_default_report_breaks_a_rule(default_build):
    lines = pdf_lines(default_build.pdf)
    assert len(lines) > 300
    assert rule_violations(lines) == []


def test_text_of_the_default_report_is_copied_unchanged(default_build):
    """pdfium's text, without the line ends it adds, holds every sentence of the data as written."""
    text = pdfium_text(default_build.pdf).replace("\r\n", "")
    report = load_report(DEFAULT)
    missing = [t.plain for t in report.texts() if t.plain not in text]
    assert missing == []
    assert not re.search("[\u200b-\u200d\u2060\u00ad\ufeff]", text)  # no invisible characters added


# ---------------------------------------------------------------- a stress text


@pytest.fixture(scope="module")
def stress_pdf(tmp_path_factory) -> Path:
    body = "".join(f'<p style="width: {w}mm">{STRESS}</p>' for w in STRESS_WIDTHS_MM)
    css = "p { text-align: justify; } html { overflow-wrap: break-word; }"  # as the booklet's style sheet
    return render(body, tmp_path_factory.mktemp("stress") / "stress.pdf", css)


def stress_paragraphs(pdf: Path) -> list[list[Line]]:
    """The stress PDF's lines, paragraph by paragraph (paragraphs are stacked, one per width)."""
    paragraphs, current = [], []
    for line in pdf_lines(pdf, split_em=100):
        current.append(line)
        if line.text.endswith("《癸》。"):
            paragraphs.append(current)
            current = []
    return paragraphs


def test_stress_text_keeps_every_rule(stress_pdf):
    lines = [line for paragraph in stress_paragraphs(stress_pdf) for line in paragraph]
    assert len(lines) > 250
    assert rule_violations(lines) == []


def test_stress_text_is_justified_to_the_edge(stress_pdf):
    paragraphs = stress_paragraphs(stress_pdf)
    assert len(paragraphs) == len(STRESS_WIDTHS_MM)
    off = []
    for width, lines in zip(STRESS_WIDTHS_MM, paragraphs):
        edge = (10 + width) / 25.4 * 72
        off += [(width, round(line.end - edge, 2), line.text) for line in lines[:-1] if abs(line.end - edge) > 0.5]
    assert off == []


def test_stress_text_is_copied_unchanged(stress_pdf):
    """The PDF holds exactly the source characters. Viewers may still show a space where a
    justified line has a wide gap (pdfium guesses one above about 0.11 em); only whitespace."""
    for lines in stress_paragraphs(stress_pdf):
        assert "".join(line.text for line in lines) == STRESS
    extracted = pdfium_text(stress_pdf)
    assert re.sub(r"\s", "", extracted) == STRESS * len(STRESS_WIDTHS_MM)


# ---------------------------------------------------------------- punctuation compression


PAIRS = ["。”", "）、", "“（", "：“", "，“", "”，", "》。", "）（"]


def pair_widths(pdf: Path) -> dict[str, float]:
    """Width in em of each 'X' in lines '字X字': from the pen after the first 字 to the second 字."""
    widths = {}
    for line in pdf_lines(pdf, split_em=100):
        chars = line.chars
        em = chars[0]["size"]
        widths[line.text[1:-1]] = round((chars[-1]["x0"] - chars[0]["x0"] - em) / em, 3)
    return widths


@pytest.mark.parametrize("trim, expected", [("normal", 1.5), ("space-all", 2.0)])
def test_adjacent_marks_take_one_and_a_half_em(tmp_path, trim, expected):
    body = "".join(f"<p>字{pair}字</p>" for pair in PAIRS)
    widths = pair_widths(render(body, tmp_path / "pairs.pdf", f"html {{ --text-spacing-trim: {trim}; }}"))
    assert widths == {pair: expected for pair in PAIRS}


def test_compression_keeps_the_report_text_and_full_width_marks_alone(tmp_path):
    """Three marks in a row take 2 em; a lone mark keeps its full em."""
    widths = pair_widths(render("<p>字。”）字</p><p>字，字</p><p>字（字</p>", tmp_path / "three.pdf"))
    assert widths == {"。”）": 2.0, "，": 1.0, "（": 1.0}


# ---------------------------------------------------------------- Han–Latin spacing


def gaps_em(line: Line) -> list[float]:
    """Space between consecutive glyph advances, in em (0 for solid setting)."""
    em = line.chars[0]["size"]
    return [round((b["x0"] - a["x1"]) / em, 3) for a, b in zip(line.chars, line.chars[1:])]


def test_han_latin_space_is_a_quarter_em_and_off_by_default(tmp_path):
    body = '<p>增长GDP的<b>2021</b>年</p><p style="width: 9.2em">钱塘区钱塘区钱塘区GDP增长</p>'
    off = pdf_lines(render(body, tmp_path / "off.pdf"), split_em=100)
    on = pdf_lines(render(body, tmp_path / "on.pdf", "html { --text-autospace: normal; }"), split_em=100)
    assert off[0].text == on[0].text == "增长GDP的2021年"
    assert set(gaps_em(off[0])) == {0}
    # 长|G, P|的 inside a box; 的|2 and 1|年 across the <b>
    assert gaps_em(on[0]) == [0, 0.25, 0, 0, 0.25, 0.25, 0, 0, 0, 0.25]
    # at a line start the space is dropped: "GDP增长" starts flush with the column
    assert on[2].text == "GDP增长" and on[2].start == pytest.approx(on[1].start, abs=0.01)


# ---------------------------------------------------------------- settings and the sample page


def test_report_typography_settings_reach_the_pdf(tmp_path):
    text = DEFAULT.read_text(encoding="utf-8")
    assert "\ntypography:" not in text
    source = tmp_path / "settings.yaml"
    source.write_text(text.replace("\nsections:", "\ntypography:\n  punctuation: full-width\n"
                                   "  han_latin_space: true\nsections:", 1), encoding="utf-8")
    result = build_report(source, Paths(output=tmp_path / "out"), editions=("screen",))
    lines = pdf_lines(result.pdf)
    pair = next(line for line in lines if "圈”。" in line.text)
    i = pair.text.index("”。")
    em = pair.chars[i]["size"]
    assert (pair.chars[i + 1]["x0"] - pair.chars[i]["x0"]) / em == pytest.approx(1.0, abs=0.01)  # not 0.5
    sentence = next(line for line in lines if "工业总产值2019年分别突破" in line.text)
    i = sentence.text.index("2019年")
    assert gaps_em(sentence)[i - 1] >= 0.25 - 0.01 and gaps_em(sentence)[i + 3] >= 0.25 - 0.01  # 值|2, 9|年


def test_sample_typography_command_writes_pdf_and_png(tmp_path):
    from tujie.cli import main

    assert main(["sample-typography", "-o", str(tmp_path)]) == 0
    pdf, png = tmp_path / "typography.pdf", tmp_path / "typography.png"
    assert png.stat().st_size > 50_000
    text = pdfium_text(pdf)
    for title in ("两端对齐", "行首行尾禁则", "标点挤压", "中西文间距", "段落"):
        assert title in text
