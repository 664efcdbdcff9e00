"""The booklet carries the whole report: every sentence, number and section."""

from __future__ import annotations

import re

import pikepdf

from conftest import squash


def seed_lines_in_document_order(seed: str) -> list[str]:
    """The seed's non-empty lines, with the six work areas put back in order 1–6.

    The seed was extracted from a two-column original and lists the work
    areas 1,3,5,2,4,6; the booklet (and the data) hold them 1–6.
    """
    lines = [line.strip() for line in seed.splitlines() if line.strip()]
    first = next(i for i, line in enumerate(lines) if re.match(r"^1 ", line))
    head, tail = lines[:first], lines[first:]
    areas, current = {}, None
    for line in tail:
        match = re.match(r"^(\d) (.*)$", line)
        if match:
            current = int(match.group(1))
            areas[current] = [match.group(2)]
        else:
            areas[current].append(line)
    return head + [line for n in sorted(areas) for line in areas[n]]


def clean(line: str) -> str:
    return line.removeprefix("- ").replace("**", "")


def test_every_seed_sentence_is_in_the_pdf(seed_text, default_text):
    pdf = squash(default_text)
    # clauses, not whole lines: the 2021 targets paragraph becomes one card per clause
    clauses = [part for line in seed_lines_in_document_order(seed_text) for part in re.split(r"(?<=[;；])", clean(line))]
    missing = [clause for clause in clauses if clause and squash(clause) not in pdf]
    assert missing == []


def test_every_seed_number_appears_in_reading_order(seed_text, default_text):
    numbers = [n for line in seed_lines_in_document_order(seed_text) for n in re.findall(r"\d+(?:\.\d+)?", clean(line))]
    assert len(numbers) > 70  # the seed has 79 (the work-area ordinals are checked as order)
    # lines squashed one by one: a page's folio must not glue onto the next page's first figure ("3" + "6个")
    pdf = "¶".join(squash(line) for line in default_text.splitlines())
    pos = 0
    for number in numbers:
        # a number must appear as a whole number, not as part of a longer one
        match = re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)").search(pdf, pos)
        assert match, f"number {number} not found after position {pos}"
        pos = match.end()


def test_every_section_and_theme_is_a_bookmark(default_build):
    with pikepdf.open(default_build.pdf) as pdf, pdf.open_outline() as outline:
        top = [item.title for item in outline.root]
        children = [child.title for item in outline.root for child in item.children]
    for section in default_build.report.sections:
        assert section.title in top
    for theme in default_build.report.sections[0].blocks[0].themes:
        assert theme.title in children
    assert top[0] == "封面" and top[1] == "目录"


def test_contents_page_numbers_point_at_the_sections(default_build):
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(default_build.pdf))
    texts = [squash(doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
    contents = texts[1]
    for section in default_build.report.sections:
        title = squash(section.title)
        page = next(i + 1 for i, t in enumerate(texts) if i > 1 and title in t)
        # in the contents, the section's title is followed (after its kicker) by its page number
        after = contents.split(title, 1)[1]
        kicker = squash(section.kicker or "")
        after = after.removeprefix(kicker)
        assert after.startswith(str(page)), (section.title, page, after[:10])


def test_metadata_and_language(default_build):
    with pikepdf.open(default_build.pdf) as pdf:
        info = pdf.docinfo
        assert "钱塘新区" in str(info["/Title"])
        assert str(info["/Author"]) == default_build.report.report.issuer
        assert str(pdf.Root.Lang) == "zh-CN"


def test_markup_in_data_renders_literally(tmp_path):
    from conftest import DEFAULT, pdf_text
    from tujie.build import Paths, build_report

    text = DEFAULT.read_text(encoding="utf-8").replace(
        "新区改革经验做法向全省各新区发文推广；", "新区改革经验<b>做法</b>{{ 1+1 }}<script>x()</script>；")
    source = tmp_path / "markup.yaml"
    source.write_text(text, encoding="utf-8")
    result = build_report(source, Paths(output=tmp_path / "out"), editions=("screen",))
    extracted = squash(pdf_text(result.pdf))
    assert squash("新区改革经验<b>做法</b>{{ 1+1 }}<script>x()</script>；") in extracted


def test_icons_are_drawn_as_lucide_draws_them():
    """tujie/icons.py reads Lucide's archive itself (once, not once an icon): the markup must
    stay the package's own, for every icon a report in source/ uses and the schema's defaults."""
    from pathlib import Path

    from lucide.jinja import lucide

    from tujie import icons

    used = {"circle-check", "palette", "target"}
    for source in (Path(__file__).parent.parent / "source").glob("*.yaml"):
        used |= set(re.findall(r"^\s*icon: ([a-z0-9-]+)\s*$", source.read_text(encoding="utf-8"), re.M))
    assert len(used) > 10
    for name in sorted(used):
        for options in ({"size": 20, "stroke": "#ffffff", "stroke_width": 2},
                        {"size": 16, "stroke": "#123456", "stroke_width": 2, "aria_hidden": "true",
                         "stroke_linecap": "square"}):
            assert icons.svg(name, **options) == lucide(name, **options), name
