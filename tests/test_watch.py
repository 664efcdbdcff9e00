"""Live rebuild: a saved edit rebuilds the screen edition; a bad edit keeps the last good file."""

from __future__ import annotations

import re
import shutil
import threading
import time

from conftest import DEFAULT
from tujie.build import Paths
from tujie.watch import watch


def wait_for(condition, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_watch_rebuilds_on_change_and_survives_a_bad_edit(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    source = data / "qiantang-2021.yaml"
    shutil.copy(DEFAULT, source)
    paths = Paths(output=tmp_path / "out")
    messages: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=([source], paths, messages.append, stop), daemon=True)
    thread.start()
    try:
        pdf = paths.output / "qiantang-2021" / "qiantang-2021-r1-screen.pdf"
        preview = paths.output / "qiantang-2021" / "pages" / "qiantang-2021-r1-p03.png"
        assert wait_for(lambda: any(m.startswith("✓") for m in messages)), messages
        first, first_preview = pdf.read_bytes(), preview.read_bytes()  # the screen PDF and the page pictures

        time.sleep(0.5)
        source.write_text(DEFAULT.read_text(encoding="utf-8").replace("value: 84,", 'value: "约84",'), encoding="utf-8")
        assert wait_for(lambda: any("✗" in m for m in messages)), messages
        error = next(m for m in messages if "✗" in m)
        # the Chinese message names the file and the line; the last good files stay as they were
        assert "应为数字" in error and f"文件 {source}" in error and re.search(r"第 \d+ 行", error), error
        assert "上一次生成的文件没有改动" in error
        assert pdf.read_bytes() == first and preview.read_bytes() == first_preview

        source.write_text(DEFAULT.read_text(encoding="utf-8").replace("value: 84,", "value: 85,"), encoding="utf-8")
        assert wait_for(lambda: sum(m.startswith("✓") for m in messages) >= 2), messages
        assert pdf.read_bytes() != first and preview.read_bytes() != first_preview  # page 3 shows the figure
        assert any(m.startswith("检测到修改：qiantang-2021.yaml") for m in messages)
    finally:
        stop.set()
        thread.join(timeout=10)
