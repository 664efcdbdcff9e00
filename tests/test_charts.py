"""Charts are drawn from the figures in the YAML, with text kept as text."""

from __future__ import annotations

import re

from conftest import DEFAULT, pdf_text, squash
from tujie.build import Paths, build_report


def test_chart_svgs_keep_text_in_the_bundled_font(default_build):
    svgs = [p.read_text(encoding="utf-8") for p in default_build.charts]
    assert len(svgs) >= 5
    for svg in svgs:
        assert "<text" in svg  # svg.fonttype none: real text, not paths
        assert "Noto Sans SC" in svg
        assert "<path d=" in svg


def test_changed_figure_changes_the_chart(tmp_path):
    text = DEFAULT.read_text(encoding="utf-8")
    revised = text.replace("gdp_2025: {value: 1600,", "gdp_2025: {value: 1725,")
    assert revised != text
    source = tmp_path / "revised.yaml"
    source.write_text(revised, encoding="utf-8")
    result = build_report(source, Paths(output=tmp_path / "out"), editions=("screen",))
    gdp_chart = next(p for p in result.charts if "1725" in p.read_text(encoding="utf-8"))
    svg = gdp_chart.read_text(encoding="utf-8")
    assert ">1600<" not in svg
    extracted = squash(pdf_text(result.pdf))
    assert "1725" in extracted and "突破1600亿元" not in extracted
    # the running text, the KPI card and the chart all show the new value
    assert len(re.findall("1725", extracted)) >= 3


def test_sample_report_renders_without_code_changes(sample_build):
    text = squash(pdf_text(sample_build.pdf))
    assert "示例" in text
    assert sample_build.pages >= 4
    assert "青禾镇" in text and "钱塘" not in text
