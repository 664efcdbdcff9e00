"""Bad input ends in a Chinese message naming file, line and field; old output untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DEFAULT
from tujie.cli import main
from tujie.errors import ReportError
from tujie.load import load_report


def write(tmp_path: Path, text: str, name: str = "r.yaml", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def default_with(old: str, new: str) -> str:
    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def test_typo_in_field_name_suggests_the_right_one(tmp_path):
    text = default_with("gdp_2019: {value: 1100", "gdp_2019: {vaule: 1100")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "vaule" in row)
    path = write(tmp_path, text)
    with pytest.raises(ReportError) as info:
        load_report(path)
    message = str(info.value)
    assert "vaule" in message and "“value”" in message and f"第 {line} 行" in message
    assert "figures.gdp_2019" in message


def test_figure_written_as_text_is_rejected(tmp_path):
    path = write(tmp_path, default_with("value: 84,", 'value: "约84",'))
    with pytest.raises(ReportError) as info:
        load_report(path)
    assert "应为数字" in str(info.value) and "约84" in str(info.value)


def test_duplicate_key_is_an_error(tmp_path):
    path = write(tmp_path, default_with("  district: 钱塘新区\n", "  district: 钱塘新区\n  district: 别的区\n"))
    with pytest.raises(ReportError) as info:
        load_report(path)
    assert "重复" in str(info.value) and "district" in str(info.value)


def test_gbk_file_is_explained(tmp_path):
    path = write(tmp_path, DEFAULT.read_text(encoding="utf-8"), encoding="gb18030")
    with pytest.raises(ReportError) as info:
        load_report(path)
    assert "UTF-8" in str(info.value) and "GBK" in str(info.value)


def test_percentage_over_its_maximum(tmp_path):
    path = write(tmp_path, default_with("pension_coverage_2025: {value: 99,", "pension_coverage_2025: {value: 199,"))
    with pytest.raises(ReportError) as info:
        load_report(path)
    assert "上限" in str(info.value)


def test_cli_failure_exits_non_zero_and_keeps_last_output(tmp_path, capsys):
    out = tmp_path / "out"
    target = out / "r" / "r-r1.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"last good booklet")
    path = write(tmp_path, default_with("value: 84,", "value: [84],"))
    assert main([str(path), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "生成失败" in err and "r.yaml" in err
    assert target.read_bytes() == b"last good booklet"
