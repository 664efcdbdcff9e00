"""Charts are drawn from the figures in the YAML, with text kept as text."""

from __future__ import annotations

import os
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


def _logged_draw(report, theme, plan, font_dir):
    """build.draw_missing_charts, noting who drew how many charts in $CHART_LOG once drawn (a module
    function, inherited by the forked children)."""
    drawn = _DRAWING[0](report, theme, plan, font_dir)
    _note(f"{os.getpid()} {len(plan.missing)}")
    return drawn


def _logged_sizes(plan, drawn):
    """build.with_sizes, which the build calls as soon as it has the booklet's charts."""
    _note(f"{os.getpid()} received")
    return _DRAWING[1](plan, drawn)


def _note(line: str) -> None:
    with open(os.environ["CHART_LOG"], "a", encoding="utf-8") as f:
        f.write(line + "\n")


_DRAWING = []


def test_a_first_build_draws_the_web_charts_in_the_charts_child_during_the_layout(tmp_path, monkeypatch):
    """The charts' child sends the booklet's charts first, then draws the web edition's into the
    cache while the booklet is laid out: the build does not wait for those, and the web edition
    draws none itself."""
    from tujie import build

    _DRAWING[:] = [build.draw_missing_charts, build.with_sizes]
    log = tmp_path / "charts.log"
    monkeypatch.setenv("CHART_LOG", str(log))
    monkeypatch.setattr(build, "draw_missing_charts", _logged_draw)
    monkeypatch.setattr(build, "with_sizes", _logged_sizes)
    result = build_report(DEFAULT, Paths(output=tmp_path / "out"), editions=("screen", "web"))
    calls = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    charts = str(len(result.charts))
    # the child's booklet charts, the build going on with them, then the child's web charts
    assert calls[:3] == [[calls[0][0], charts], [str(os.getpid()), "received"], [calls[0][0], charts]], calls
    assert calls[0][0] != str(os.getpid())
    assert calls[3:] and all(missing == "0" for _, missing in calls[3:])  # the web edition found them cached
    assert "<svg" in (result.out_dir / "web" / "index.html").read_text(encoding="utf-8")


def test_work_after_the_result_runs_on_in_the_child(tmp_path):
    from tujie.forked import Forked

    done = tmp_path / "done"
    job = Forked(lambda path: 42, done, what="测试", then=lambda path: path.write_text("yes"))
    assert job.result() == 42
    job.join()
    assert done.read_text() == "yes"
    failing = Forked(lambda path: 7, done, what="测试", then=lambda path: 1 / 0)
    assert failing.result() == 7  # a failure after the result only costs the cache it would fill
    failing.join()
    assert failing._process.exitcode == 0
    # a failed build stops a child still at work after its result
    slow = Forked(lambda path: 1, done, what="测试", then=lambda path: __import__("time").sleep(60))
    assert slow.result() == 1 and slow._process.is_alive()
    slow.stop()
    assert not slow._process.is_alive()
