"""The editor's live preview (tujie/editor/preview.py): a warm worker process, page fingerprints, recovery.

Works on a copy of the town sample in a temporary project folder; checks the files the worker writes.
"""

from __future__ import annotations

import os
import shutil
import signal
import time

import pypdfium2
import pytest
from PIL import Image

from conftest import SAMPLE
from tujie.editor.preview import Previewer

WAIT = 240  # seconds: generous for a cold first build on a busy CI machine


def _page_texts(pdf) -> list[str]:
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return [doc[n].get_textpage().get_text_range() for n in range(len(doc))]
    finally:
        doc.close()


@pytest.fixture
def previewer(tmp_path):
    (tmp_path / "source").mkdir()
    source = tmp_path / "source" / SAMPLE.name
    shutil.copyfile(SAMPLE, source)
    p = Previewer(source, tmp_path / "output" / ".editor" / source.stem)
    yield p
    p.close()


def test_one_figure_edit_marks_the_page_that_shows_it_and_survives_a_killed_worker(previewer):
    text = previewer.source.read_text(encoding="utf-8")
    previewer.submit(text)
    assert previewer.wait(WAIT)
    first = previewer.state
    assert first.error is None and first.version == 1
    pdf = previewer.folder / "v1.pdf"
    pages = _page_texts(pdf)
    assert len(first.pages) == len(pages) > 1
    with Image.open(previewer.page(1, 1)) as picture:
        assert picture.width == 360

    edited = text.replace("grain_2024: {value: 3.2,", "grain_2024: {value: 3.7,")
    assert edited != text
    previewer.submit(edited)
    assert previewer.wait(WAIT)
    second = previewer.state
    assert second.error is None and second.version == 2
    texts = _page_texts(previewer.folder / "v2.pdf")
    holding = [n + 1 for n, t in enumerate(texts) if "3.7" in t and "万吨" in t]
    assert holding, "the new value is not in the preview PDF"
    assert set(holding) <= set(second.changed), (holding, second.changed)
    # pages that show nothing of the figure keep their fingerprint, so they are not marked
    assert len(second.changed) < len(second.pages)

    # a worker that dies (killed, out of memory) is reported, and the next edit starts a new one
    os.kill(previewer._process.pid, signal.SIGKILL)
    previewer._process.join(30)
    for _ in range(100):
        if previewer.state.error:
            break
        time.sleep(0.1)
    assert "意外退出" in (previewer.state.error or "")
    assert previewer.state.version == 2  # the last good preview stays
    previewer.submit(text)
    assert previewer.wait(WAIT)
    third = previewer.state
    assert third.error is None and third.version == 3
    assert third.pages == first.pages  # the same draft gives the same pictures
