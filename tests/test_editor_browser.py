"""The browser editor in real headless Chromium (Debian's, driven by playwright), on a copy of a report.

One walk through what an office user does: open the editor, change a
figure, type a bad value and read the Chinese message beside the field,
fix it, see the thumbnail of the right page change, save (the file differs
in exactly that line, comments kept), build, and find the new value in the
new PDF.
"""

from __future__ import annotations

import difflib
import os
import shutil
import socket
import threading
import time

import pytest

from conftest import SAMPLE, pdf_text, squash
from tujie.build import PROJECT

FIELD = "sections[0].blocks[0].figures.grain_2024.value"  # 粮食产量 3.2 万吨, in the lead of the first section


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from tujie.editor.app import create_app

    project = tmp_path_factory.mktemp("project")
    (project / "source").mkdir()
    source = project / "source" / SAMPLE.name
    shutil.copyfile(SAMPLE, source)
    port = _free_port()
    app = create_app(source, project, output=project / "output", port=port)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}/", "source": source, "project": project, "app": app,
           "original": SAMPLE.read_text(encoding="utf-8")}
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server, chromium):
    """A tab of the session's browser (conftest.chromium), on the editor."""
    page = chromium.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a Content-Security-Policy violation or a failed request shows here
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.errors = errors
    page.goto(server["url"])
    yield page
    page.close()


def _until(page, expression: str, timeout: float = 30) -> None:
    """Poll a JavaScript expression until true (wait_for_function would need eval, which the page's CSP forbids)."""
    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < end, f"timed out waiting for {expression}"
        time.sleep(0.1)


def _shot(page, field, name: str) -> None:
    """With TUJIE_SHOTS=1, keep the README's screenshot in docs/ current."""
    if os.environ.get("TUJIE_SHOTS"):
        field.evaluate("el => el.scrollIntoView({block: 'center'})")
        page.screenshot(path=str(PROJECT / "docs" / name))


def _thumbs(page, after: int = 0, timeout: float = 90) -> tuple[int, list[int]]:
    """Wait for a preview version newer than ``after``; (version, changed page numbers)."""
    # newer than ``after`` and nothing more waiting: the version of the latest draft
    _until(page, f"Number(document.getElementById('thumbs').dataset.version || 0) > {after} && "
                 "!document.getElementById('preview-note').textContent.includes('正在更新')", timeout)
    version = int(page.eval_on_selector("#thumbs", "el => el.dataset.version"))
    changed = page.eval_on_selector_all(".thumb.changed", "els => els.map(e => Number(e.dataset.page))")
    return version, changed


def test_edit_validate_preview_save_build(server, page, tmp_path):
    version, _ = _thumbs(page)
    pages = page.locator(".thumb").count()
    assert pages >= 4
    # a sentence with figure chips: visiting it changes nothing (the final diff below is one line)
    rich = page.locator('[data-name="sections[0].blocks[0].text"] .rich')
    assert rich.locator(".chip").count() == 2 and "{" not in rich.inner_text()
    rich.click()
    rich.press("End")
    page.keyboard.press("Tab")
    # moving a list entry down and back up re-renders the form and leaves the draft as it was
    first = "sections[0].blocks[1].themes[0].items[0]"
    page.evaluate("document.querySelectorAll('#form details').forEach(d => d.open = true)")  # as a user unfolds
    page.locator(f'[data-name="{first}"] > summary .ops button[data-op="down"]').click()
    _until(page, """document.querySelector('[data-name="sections[0].blocks[1].themes[0].items[1].text"] .rich')"""
                 """.textContent.startsWith('新建高标准农田')""")
    page.locator('[data-name="sections[0].blocks[1].themes[0].items[1]"] > summary .ops button[data-op="up"]').click()
    _until(page, """document.querySelector('[data-name="sections[0].blocks[1].themes[0].items[0].text"] .rich')"""
                 """.textContent.startsWith('新建高标准农田')""")
    _until(page, "!document.getElementById('save').textContent.includes('未保存')")

    field = page.locator(f'[data-name="{FIELD}"]')
    box = field.locator("input")
    assert box.input_value() == "3.2"
    assert "数值" in field.locator("label").inner_text()

    # a bad value: the loader's Chinese message appears beside this very field
    box.fill("3,6万吨")
    message = field.locator(".msg")
    message.wait_for(state="visible")
    assert "应为数字" in message.inner_text() and "3,6万吨" in message.inner_text()
    assert "invalid" in field.get_attribute("class")
    assert page.locator(".field .msg:not(:empty)").count() == 1  # no other field blamed
    _shot(page, field, "editor-error.png")

    # fixed: the message goes, and the preview is rebuilt with the page that shows the figure marked
    box.fill("3.6")
    box.press("Tab")
    _until(page, f"""!document.querySelector('[data-name="{FIELD}"] .msg').textContent""")
    version, changed = _thumbs(page, int(page.eval_on_selector("#thumbs", "el => el.dataset.version")))
    preview_pdf = server["project"] / "output" / ".editor" / server["source"].stem / f"v{version}.pdf"
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(preview_pdf))
    holding = [n + 1 for n in range(len(doc)) if "3.6万吨" in squash(doc[n].get_textpage().get_text_range())]
    doc.close()
    assert holding, "the new value is not in the preview PDF"
    assert set(holding) <= set(changed)
    assert 1 not in changed and len(changed) < pages  # the cover and most pages did not change
    # the chip in the sentence shows the new value too
    assert page.locator('.chip[data-id="grain_2024"]').inner_text() == "3.6万吨"

    _shot(page, field, "editor.png")
    print("preview:", page.locator("#preview-note").inner_text())

    # clicking a changed page opens it large
    page.locator(f'.thumb[data-page="{holding[0]}"]').click()
    _until(page, "document.getElementById('large-img').complete && "
                 "document.getElementById('large-img').naturalWidth > 1000")
    assert page.locator("#large").is_visible()
    page.locator("#large-close").click()

    # save: the "what changed" panel lists the figure, then the file differs in exactly that line
    page.locator("#save").click()
    page.locator("#changes").wait_for(state="visible")
    listed = page.locator("#changes-list").inner_text()
    assert "粮食产量" in listed and "3.2万吨 → 3.6万吨" in listed
    page.locator("#changes-ok").click()
    _until(page, "document.getElementById('status').textContent.includes('已保存')")
    after = server["source"].read_text(encoding="utf-8")
    lines = [l for l in difflib.unified_diff(server["original"].splitlines(), after.splitlines(), lineterm="", n=0)
             if not l.startswith(("---", "+++", "@@"))]
    assert lines == ["-          grain_2024: {value: 3.2, unit: 万吨, label: 粮食产量, qualifier: 达到, year: 2024}",
                     "+          grain_2024: {value: 3.6, unit: 万吨, label: 粮食产量, qualifier: 达到, year: 2024}"]
    comments = [l for l in server["original"].splitlines() if l.lstrip().startswith("#")]
    assert comments and comments == [l for l in after.splitlines() if l.lstrip().startswith("#")]
    backups = list((server["source"].parent / ".history").glob("*.yaml"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == server["original"]

    # build every edition; the download links lead to PDFs holding the new value
    page.locator("#build").click()
    page.wait_for_selector("#downloads a", timeout=240_000)
    links = page.eval_on_selector_all("#downloads a", "els => els.map(a => a.getAttribute('href'))")
    screen = next(l for l in links if l.endswith("-screen.pdf"))
    with page.expect_download() as download:
        page.locator(f'#downloads a[href="{screen}"]').click()
    saved = tmp_path / "screen.pdf"
    download.value.save_as(saved)
    assert "3.6万吨" in squash(pdf_text(saved))
    printed = next(l for l in links if l.endswith("-print.pdf"))
    response = page.request.get(server["url"].rstrip("/") + printed)
    assert response.ok and response.body().startswith(b"%PDF")
    (tmp_path / "print.pdf").write_bytes(response.body())
    assert "3.6万吨" in squash(pdf_text(tmp_path / "print.pdf"))
    assert page.errors == []

