"""``render.py diff``: what changed between two versions of a report's data, and where.

Every test writes real report files, made from the default report with text
replacements, and compares them through the library or the command line.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy
import pypdfium2
import pytest

from conftest import DEFAULT
from tujie.cli import main
from tujie.diff import BOX_COLOUR, compare, load

BASE = DEFAULT.read_text(encoding="utf-8")
GDP_2019 = "gdp_2019: {value: 1100, unit: 亿元, label: 地区生产总值, qualifier: 突破, year: 2019}"
GANGS_ITEM = """              - text: 扫黑除恶专项斗争查处涉黑恶团伙{gangs_cracked}；
                figures:
                  gangs_cracked: {value: 74, unit: 个, label: 查处涉黑恶团伙}
"""
PROMOTED_ITEM = "              - text: 新区改革经验做法向全省各新区发文推广；\n"


def revise(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def write(folder, name: str, text: str):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def changes_between(tmp_path, new_text: str, old_text: str = BASE):
    old = write(tmp_path, "old/qiantang-2021.yaml", old_text)
    new = write(tmp_path, "new/qiantang-2021.yaml", new_text)
    return compare(load(old, str(old)), load(new, str(new)))


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_changed_value_is_one_figure_change(tmp_path):
    changes = changes_between(tmp_path, revise(BASE, ("gdp_2019: {value: 1100,", "gdp_2019: {value: 1120,")))
    assert len(changes) == 1
    change = changes[0]
    assert (change.kind, change.action, change.path) == ("figure", "changed", "figures[gdp_2019]")
    assert change.describe() == "地区生产总值（2019年）：1100亿元 → 1120亿元（钱塘新区成立以来工作回顾）"


def test_changed_unit_is_a_change(tmp_path):
    changes = changes_between(tmp_path, revise(BASE, (GDP_2019, GDP_2019.replace("亿元", "万元"))))
    assert [c.describe() for c in changes] == ["地区生产总值（2019年）：1100亿元 → 1100万元（钱塘新区成立以来工作回顾）"]


def test_qualifier_and_year_changes_are_listed_with_the_figure(tmp_path):
    changes = changes_between(tmp_path, revise(BASE, ("qualifier: 突破, year: 2019}", "qualifier: 达到, year: 2020}")))
    assert len(changes) == 2  # gdp_2019 and industrial_output_2019
    assert changes[0].describe() == (
        "地区生产总值（2020年）：修饰语：突破 → 达到；年份：2019 → 2020（钱塘新区成立以来工作回顾）")


def test_added_and_removed_items_leave_their_neighbours_alone(tmp_path):
    new = revise(
        BASE,
        (GANGS_ITEM, ""),
        (PROMOTED_ITEM, PROMOTED_ITEM + "              - text: 新设{new_funds}产业基金；\n"
                                         "                figures:\n"
                                         "                  new_funds: {value: 3, unit: 只, label: 新设产业基金}\n"),
    )
    lines = [c.describe() for c in changes_between(tmp_path, new)]
    assert lines == [
        "删除 主题“社会民生进一步改善”第5条：「扫黑除恶专项斗争查处涉黑恶团伙{gangs_cracked}；」（钱塘新区成立以来工作回顾）",
        "删除数字 查处涉黑恶团伙：74个（钱塘新区成立以来工作回顾）",
        "新增 主题“改革开放进一步深化”第3条：「新设{new_funds}产业基金；」（钱塘新区成立以来工作回顾）",
        "新增数字 新设产业基金：3只（钱塘新区成立以来工作回顾）",
    ]


def test_removed_section_and_list_entries(tmp_path):
    start = BASE.index("  - id: principles")
    end = BASE.index("  - id: targets")
    new = revise(BASE[:start] + BASE[end:],
                 ("actions: [提升产业质效, 促进动能转换, 深化开放合作]", "actions: [提升产业质效, 深化开放合作]"))
    changes = changes_between(tmp_path, new)
    assert [(c.action, c.path) for c in changes] == [
        ("removed", "sections[principles]"),
        ("removed", "sections[work].blocks[0].areas[0].actions[1]"),
    ]
    assert changes[0].describe() == "删除 章节：「五个坚持」（五个坚持）"


def test_texts_compare_by_place(tmp_path):
    new = revise(BASE, ("issuer: 钱塘新区", "issuer: 钱塘区"), ("title: 二〇三五年远景目标", "title: 2035年远景目标"),
                 ("title: 区域地位进一步提高", "title: 区域地位显著提高"))
    changes = changes_between(tmp_path, new)
    assert [(c.kind, c.path) for c in changes] == [
        ("text", "report.issuer"),
        ("text", "sections[review].blocks[0].themes[0].title"),
        ("text", "sections[vision].title"),
    ]
    assert changes[0].describe() == "报告发布单位：「钱塘新区」 → 「钱塘区」（报告信息）"
    assert changes[2].describe() == "章节标题：「二〇三五年远景目标」 → 「2035年远景目标」（2035年远景目标）"


def test_long_texts_are_cut_to_the_change(tmp_path):
    changes = changes_between(tmp_path, revise(BASE, ("主要污染物排放总量持续减少", "主要污染物排放总量大幅减少")))
    assert [c.describe() for c in changes] == [
        "“生态环境”指标组说明：「…，主要污染物排放总量持续减少，美丽乡村和美丽…」 → "
        "「…，主要污染物排放总量大幅减少，美丽乡村和美丽…」（“十四五”发展方向）"
    ]


def test_pure_formatting_is_no_change(tmp_path, capsys):
    new = revise(
        BASE,
        (GDP_2019, "gdp_2019: {year: 2019, qualifier: 突破, label: 地区生产总值, unit: '亿元', value: 1100.0}"),
        ("  title: 政府（筹）工作报告", '  title: "政府（筹）工作报告"'),
        ("- title: 区域地位进一步提高", "- title:     '区域地位进一步提高'   "),
        ('unit: "%", label: 研发经费支出占GDP比重, qualifier: 达到, max: 100}',
         "max: 100.0, qualifier: 达到, label: 研发经费支出占GDP比重, unit: '%'}"),
        ("page:\n  size: A4\n  bleed_mm: 3\n", "page: {bleed_mm: 3.0, size: \"A4\"}\n"),
    )
    assert changes_between(tmp_path, new) == []
    code, out, _ = run_cli(capsys, str(tmp_path / "old/qiantang-2021.yaml"), str(tmp_path / "new/qiantang-2021.yaml"))
    assert code == 0
    assert out.strip().splitlines()[-1] == "没有变化"


def test_cli_lists_changes_in_document_order_with_a_summary(tmp_path, capsys):
    old = write(tmp_path, "old.yaml", BASE)
    new = write(tmp_path, "qiantang-2021.yaml", revise(
        BASE, ("gdp_2035: {value: 8000,", "gdp_2035: {value: 8100,"), ("gdp_2019: {value: 1100,", "gdp_2019: {value: 1120,"),
        ("title: 五个坚持", "title: 五项坚持")))
    code, out, err = run_cli(capsys, str(old), str(new), "-o", str(tmp_path / "no-builds"), "--paths")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert "还没有生成过" in out  # no build to take pages from
    assert lines[-4:] == [
        "  1. 地区生产总值（2019年）：1100亿元 → 1120亿元（钱塘新区成立以来工作回顾）  [figures[gdp_2019]]",
        "  2. 生产总值（2035年）：8000亿元 → 8100亿元（二〇三五年远景目标）  [figures[gdp_2035]]",
        "  3. 章节标题：「五个坚持」 → 「五项坚持」（五项坚持）  [sections[principles].title]",
        "共 3 处变化：2 个数字，1 处文字",
    ]


def test_cli_exit_codes(tmp_path, capsys):
    good = write(tmp_path, "good.yaml", BASE)
    bad = write(tmp_path, "bad.yaml", revise(BASE, ("gdp_2019: {value: 1100,", 'gdp_2019: {value: "1100亿",')))
    code, out, err = run_cli(capsys, str(good), str(bad))
    assert code == 1 and "Traceback" not in err
    assert f"文件 {bad}" in err and "第 49 行" in err and "应为数字" in err and "gdp_2019.value" in err

    code, _, err = run_cli(capsys, str(good), str(tmp_path / "missing.yaml"))
    assert code == 1 and "missing.yaml" in err and ("无法读取文件" in err or "文件不存在" in err)

    code, _, err = run_cli(capsys, str(good))
    assert code == 2 and "需要两个文件" in err
    code, _, err = run_cli(capsys, "--against", "HEAD", str(good), str(good))
    assert code == 2 and "只需给出一个文件" in err
    code, _, err = run_cli(capsys, str(good), str(good), "--pdf", str(tmp_path / "x.jpg"))
    assert code == 2 and ".pdf 或 .png" in err

    code, out, _ = run_cli(capsys, str(good), str(good))
    assert code == 0 and "没有变化" in out


@pytest.fixture
def git_repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    report = write(repo, "data/qiantang-2021.yaml", BASE)

    def git(*args):
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=测试", "-c", "user.email=t@example.org", *args],
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "r1")
    report.write_text(revise(BASE, ("gdp_2019: {value: 1100,", "gdp_2019: {value: 1120,")), encoding="utf-8")
    git("commit", "-q", "-am", "r2")
    return repo, report


def test_against_a_git_revision(git_repo, capsys, monkeypatch, tmp_path):
    repo, report = git_repo
    monkeypatch.chdir(tmp_path)  # the file is found relative to the working folder, not the repo root
    code, out, err = run_cli(capsys, "--against", "HEAD", str(report.relative_to(tmp_path)))
    assert code == 0 and "没有变化" in out, err

    report.write_text(revise(report.read_text(encoding="utf-8"), ("unit: 亿元, label: 工业总产值", "unit: 万元, label: 工业总产值")),
                      encoding="utf-8")
    code, out, err = run_cli(capsys, "--against", "HEAD~1", str(report), "-o", str(tmp_path / "none"))
    assert code == 0, err
    assert "地区生产总值（2019年）：1100亿元 → 1120亿元" in out
    assert "工业总产值（2019年）：2900亿元 → 2900万元" in out
    assert out.strip().splitlines()[-1] == "共 2 处变化：2 个数字，0 处文字"


def test_against_problems_are_explained(git_repo, capsys, tmp_path):
    repo, report = git_repo
    code, _, err = run_cli(capsys, "--against", "no-such-tag", str(report))
    assert code == 1 and "找不到版本“no-such-tag”" in err
    fresh = write(repo, "data/new.yaml", BASE)
    code, _, err = run_cli(capsys, "--against", "HEAD", str(fresh))
    assert code == 1 and "里还没有这个文件" in err
    outside = write(tmp_path, "outside/report.yaml", BASE)
    code, _, err = run_cli(capsys, "--against", "HEAD", str(outside))
    assert code == 1 and ("不在 git 版本库里" in err or "还没有这个文件" in err)

    # an old version with a mistake is reported with the revision in the file name
    report.write_text(revise(BASE, ("gdp_2019: {value: 1100,", "gdp_2019: {vaule: 1100,")), encoding="utf-8")
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-am",
                    "typo"], check=True)
    report.write_text(BASE, encoding="utf-8")
    code, _, err = run_cli(capsys, "--against", "HEAD", str(report))
    assert code == 1 and f"文件 HEAD:{report}" in err and "是不是想写“value”" in err


def test_pages_come_from_the_last_build(default_build, tmp_path, capsys):
    old = write(tmp_path, "old.yaml", BASE)
    new = write(tmp_path, "qiantang-2021.yaml", revise(
        BASE, ("gdp_2019: {value: 1100,", "gdp_2019: {value: 1120,"), ("{keyword: 五民导向, text: 坚持五民导向、不负初心}",
                                                                    "{keyword: 五民导向, text: 坚持五民导向、不忘初心}")))
    output = default_build.pdf.parent.parent
    code, out, err = run_cli(capsys, str(old), str(new), "-o", str(output))
    assert code == 0, err
    assert "页码依据上次生成的" in out
    # the build shows the old value; the page is found from it (and from the label)
    assert "地区生产总值（2019年）：1100亿元 → 1120亿元（钱塘新区成立以来工作回顾，第3页）" in out
    doc = pypdfium2.PdfDocument(str(default_build.pdf))
    try:
        page = next(i + 1 for i in range(len(doc)) if "坚持五民导向、不负初心" in doc[i].get_textpage().get_text_range())
    finally:
        doc.close()
    assert f"原则“五民导向”：「坚持五民导向、不负初心」 → 「坚持五民导向、不忘初心」（五个坚持，第{page}页）" in out


def test_pdf_sheet_puts_old_and_new_pages_side_by_side(tmp_path, capsys):
    old = write(tmp_path, "old/qiantang-2021.yaml", BASE)
    new = write(tmp_path, "new/qiantang-2021.yaml", revise(
        BASE, ("gdp_2019: {value: 1100,", "gdp_2019: {value: 1120,"), ("gdp_2035: {value: 8000,", "gdp_2035: {value: 8100,")))
    sheet = tmp_path / "对照.pdf"
    code, out, err = run_cli(capsys, str(old), str(new), "--pdf", str(sheet))
    assert code == 0, err
    assert "（2 张）" in out
    assert "地区生产总值（2019年）：1100亿元 → 1120亿元（钱塘新区成立以来工作回顾，第3页）" in out
    assert "生产总值（2035年）：8000亿元 → 8100亿元（二〇三五年远景目标，第6页）" in out

    doc = pypdfium2.PdfDocument(str(sheet))
    try:
        assert len(doc) == 2  # one sheet per changed page
        width, height = doc[0].get_size()
        assert width > 1.3 * height  # two portrait pages side by side
        image = doc[0].render(scale=1).to_pil().convert("RGB")
    finally:
        doc.close()
    pixels = numpy.asarray(image).astype(int)
    boxed = (numpy.abs(pixels - numpy.array(BOX_COLOUR)) < 30).all(axis=2)
    half = image.width // 2
    assert boxed[:, :half].sum() > 100 and boxed[:, half:].sum() > 100  # boxed on the old page and on the new
