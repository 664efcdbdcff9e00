"""The resident builder (tujie/warm.py) makes what a cold build makes, and keeps going after a bad edit."""

from __future__ import annotations


from pathlib import Path

import pypdfium2
import pytest

from conftest import DEFAULT, squash
from tujie.build import Paths, build_report
from tujie.errors import ReportError
from tujie.warm import PREVIEW, WarmBuilder


def page_texts(pdf) -> list[str]:
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return [squash(doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
    finally:
        doc.close()


@pytest.fixture(scope="module")
def revised(tmp_path_factory):
    """The default report and a copy with one figure revised, side by side."""
    folder = tmp_path_factory.mktemp("data")
    source = folder / "qiantang-2021.yaml"
    text = DEFAULT.read_text(encoding="utf-8")
    assert "gdp_2019: {value: 1100," in text
    return source, text, text.replace("gdp_2019: {value: 1100,", "gdp_2019: {value: 1357,")


def test_warm_revision_equals_cold_build(tmp_path, revised):
    source, original, changed = revised
    source.write_text(original, encoding="utf-8")
    with WarmBuilder(Paths(output=tmp_path / "warm")) as builder:
        first = page_texts(builder.build(source, PREVIEW).files["screen"])
        source.write_text(changed, encoding="utf-8")
        warm = builder.build(source, PREVIEW)
        bad = source.read_text(encoding="utf-8").replace("value: 84,", 'value: "约84",')
        source.write_text(bad, encoding="utf-8")
        with pytest.raises(ReportError) as error:  # a bad edit: the Chinese message, nothing written
            builder.build(source, PREVIEW)
        assert "应为数字" in str(error.value) and str(source) in str(error.value)
        source.write_text(changed, encoding="utf-8")
        again = builder.build(source, PREVIEW)  # the builder still works after the failure
    assert again.unchanged
    # the revision reused the cached parts: only the changed ones were laid out
    assert 0 < warm.laid_out < len(warm.parts)

    cold_source = tmp_path / "cold-data" / source.name
    cold_source.parent.mkdir()
    cold_source.write_text(changed, encoding="utf-8")
    cold = build_report(cold_source, Paths(output=tmp_path / "cold"), editions=PREVIEW)

    assert warm.pages == cold.pages and warm.parts == cold.parts and warm.flow == cold.flow
    warm_pages, cold_pages = page_texts(warm.files["screen"]), page_texts(cold.files["screen"])
    assert warm_pages == cold_pages
    assert "1357" in "".join(warm_pages) and "1357" not in "".join(first) and len(first) == len(warm_pages)
    # the same delivered bytes: the screen PDF and every page picture
    assert warm.files["screen"].read_bytes() == cold.files["screen"].read_bytes()
    assert [p.name for p in warm.thumbnails] == [p.name for p in cold.thumbnails] and len(warm.thumbnails) == warm.pages
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(warm.thumbnails, cold.thumbnails))


def test_compiled_templates_are_kept_on_disk_for_the_next_process(tmp_path, monkeypatch):
    """A fresh process reads the layout's compiled templates from the cache folder instead of
    compiling them again; a changed template is compiled anew (Jinja checks its source)."""
    import jinja2

    from tujie.layout import compiled_templates, environment

    (tmp_path / "layout").mkdir()
    template = tmp_path / "layout" / "page.html.j2"
    template.write_text("<p>{{ n }} 页</p>", encoding="utf-8")
    compiled = []
    compile_ = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, *a, **k: compiled.append(a[1] if len(a) > 1 else k.get("name")) or compile_(self, *a, **k))

    def render(n):
        compiled_templates.cache_clear()  # as a new process would start
        return environment([tmp_path / "layout"], tmp_path / "cache").get_template("page.html.j2").render(n=n)

    assert render(3) == "<p>3 页</p>" and compiled == ["page.html.j2"]
    assert list((tmp_path / "cache" / "templates").iterdir())
    assert render(4) == "<p>4 页</p>" and compiled == ["page.html.j2"]  # read, not compiled
    template.write_text("<p>第 {{ n }} 页</p>", encoding="utf-8")
    assert render(5) == "<p>第 5 页</p>" and compiled == ["page.html.j2"] * 2


def test_the_digest_store_hashes_a_file_again_only_when_it_changed(tmp_path, monkeypatch):
    """tujie/digests.py: a file is read once while its size and mtime stay; a change is seen;
    a relative spelling of the same file gives the same digest."""
    import hashlib
    import os

    from tujie.digests import DigestStore

    target = tmp_path / "logo.svg"
    target.write_bytes(b"<svg/>")
    store = DigestStore(tmp_path / "digests.json")
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real(self))
    assert store.of(target) == hashlib.sha256(b"<svg/>").digest()
    assert store.of(target) == hashlib.sha256(b"<svg/>").digest() and reads == ["logo.svg"]
    target.write_bytes(b"<svg></svg>")
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    assert store.of(target) == hashlib.sha256(b"<svg></svg>").digest() and len(reads) == 2
    monkeypatch.chdir(tmp_path)
    assert store.of(Path("logo.svg")) == hashlib.sha256(b"<svg></svg>").digest() and len(reads) == 2
    store.save()
    assert DigestStore(tmp_path / "digests.json").of(target) == hashlib.sha256(b"<svg></svg>").digest()


def test_a_warm_revision_hands_each_new_part_to_the_pool_before_rendering_the_next(tmp_path, revised, monkeypatch):
    """A resident builder's revision: section 0, whose text shows the figure, goes to a layout worker
    as soon as its HTML is rendered, before the later sections' HTML; the sections are not rendered
    alone (to measure them) until after the layout (tujie/build.PartRunner, lay_out_booklet)."""
    from tujie import build

    source, original, changed = revised
    source.write_text(original, encoding="utf-8")
    events = []
    part_html = build.HtmlSpec.part_html
    monkeypatch.setattr(build.HtmlSpec, "part_html", lambda spec, name, start, *a, **k:
                        events.append(("render", name, start)) or part_html(spec, name, start, *a, **k))
    with WarmBuilder(Paths(output=tmp_path / "warm")) as builder:
        builder.build(source, PREVIEW)
        submit = builder._pool.submit
        monkeypatch.setattr(builder._pool, "submit", lambda fn, *args: events.append(
            ("submit", getattr(args[0], "name", None) if args else None, None)) or submit(fn, *args))
        events.clear()
        source.write_text(changed, encoding="utf-8")
        result = builder.build(source, PREVIEW)
    assert "1357" in page_texts(result.files["screen"])[2]
    first_submit = events.index(("submit", "section-0", None))
    before = [e for e in events[:first_submit] if e[0] == "render" and e[1] != "section-0"]
    assert before == [], f"rendered before section 0 was handed over: {before}"
    alone = [i for i, e in enumerate(events) if e[0] == "render" and e[1].startswith("section-") and e[2] == 1]
    handed = [i for i, e in enumerate(events) if e[0] == "submit" and e[1] in ("section-0", "section-1", "index")]
    assert len(handed) == 3 and alone and min(alone) > max(handed), events
