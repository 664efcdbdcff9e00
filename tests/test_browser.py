"""The web edition in a real browser: Debian's headless Chromium, driven by playwright.

`make test` installs Chromium (Debian package) and axe-core (npm, pinned in the
Makefile) before pytest runs; playwright's own browser downloads are never used.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import squash
from test_content import clean, seed_lines_in_document_order
from tujie.build import PROJECT

AXE = PROJECT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": (375, 812), "desktop": (1280, 800)}


@pytest.fixture(scope="session")
def browser(chromium):
    assert AXE.is_file(), f"{AXE} is missing: run `make test-deps` (part of `make test`)"
    return chromium


class Visit:
    """One page load with everything the page asked for and said."""

    def __init__(self, browser, index: Path, width: int, height: int):
        self.folder = index.parent.resolve()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.route("**/*", self._route)
        self.page.goto(index.resolve().as_uri(), wait_until="load")
        self.page.evaluate("document.fonts.ready.then(() => true)")

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        inside = url.startswith(self.folder.as_uri() + "/") or url.startswith("data:")
        route.continue_() if inside else route.abort()

    def outside(self) -> list[str]:
        return [u for u in self.requests if not (u.startswith(self.folder.as_uri() + "/") or u.startswith("data:"))]

    def scroll_width(self) -> tuple[int, int]:
        return self.page.evaluate("[Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),"
                                  " window.innerWidth]")

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="session", params=list(VIEWPORTS))
def visit(request, browser, default_build, tmp_path_factory):
    width, height = VIEWPORTS[request.param]
    v = Visit(browser, default_build.files["web"], width, height)
    v.name = request.param
    shot = tmp_path_factory.mktemp("screens") / f"web-{request.param}.png"
    v.page.screenshot(path=str(shot), full_page=True)
    v.shot = shot
    yield v
    v.close()


def test_no_horizontal_scrolling(visit):
    scroll, viewport = visit.scroll_width()
    assert scroll <= viewport


def test_every_seed_sentence_and_number_is_in_the_page_text(visit, seed_text):
    text = squash(visit.page.evaluate("document.body.innerText"))
    clauses = [p for line in seed_lines_in_document_order(seed_text) for p in re.split(r"(?<=[;；])", clean(line))]
    assert [c for c in clauses if c and squash(c) not in text] == []
    numbers = [n for line in seed_lines_in_document_order(seed_text) for n in re.findall(r"\d+(?:\.\d+)?", clean(line))]
    pos = 0
    for number in numbers:
        match = re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)").search(text, pos)
        assert match, f"number {number} not found after position {pos}"
        pos = match.end()


def test_every_chart_has_a_text_alternative(visit, default_build):
    missing = visit.page.evaluate("""() => {
      const named = el => {
        const by = el.getAttribute('aria-labelledby');
        const text = by ? by.split(/\\s+/).map(id => document.getElementById(id)?.textContent || '').join('') : '';
        return (text + (el.getAttribute('aria-label') || '')).trim().length > 0;
      };
      const bad = [];
      for (const img of document.querySelectorAll('img')) if (!(img.alt || '').trim()) bad.push(img.outerHTML.slice(0, 80));
      for (const svg of document.querySelectorAll('svg')) {
        if (svg.closest('[aria-hidden="true"]')) continue;   // decoration
        if (svg.parentElement.closest('svg')) continue;      // part of a chart
        if (svg.getAttribute('role') !== 'img' || !named(svg)) bad.push(svg.outerHTML.slice(0, 80));
      }
      return bad;
    }""")
    assert missing == []
    charts = visit.page.evaluate("document.querySelectorAll('figure > svg[role=img]').length")
    assert charts == sum(1 for s in default_build.report.sections for b in s.blocks if b.type == "chart")


def test_no_console_errors_and_no_request_leaves_the_folder(visit):
    assert visit.console == []
    assert visit.outside() == []
    fonts = [u for u in visit.requests if u.endswith(".woff2")]
    assert visit.requests[0].endswith("/web/index.html") and len(fonts) == 3
    assert visit.page.evaluate("[...document.fonts].every(f => f.status === 'loaded')")


def test_axe_finds_no_serious_or_critical_violations(visit):
    visit.page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = visit.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert result["passes"], "axe ran no rule"


@pytest.mark.parametrize("width", [320, 1440])
def test_extreme_widths_do_not_scroll_sideways(browser, default_build, sample_build, width):
    for build in (default_build, sample_build):
        v = Visit(browser, build.files["web"], width, 700)
        try:
            scroll, viewport = v.scroll_width()
            assert scroll <= viewport, build.files["web"]
        finally:
            v.close()


def test_the_data_index_is_two_columns_of_whole_tables_on_a_desktop(visit):
    """Desktop: the index's tables share two columns and none is cut between them; phone: one column."""
    boxes = visit.page.evaluate("""[...document.querySelectorAll('.data-index .table-wrap')].map(e => {
        const r = e.getClientRects(); return [Math.round(r[0].left), r.length]; })""")
    lefts = {left for left, _ in boxes}
    assert all(pieces == 1 for _, pieces in boxes), boxes  # a table split between columns has two boxes
    assert len(lefts) == (2 if visit.name == "desktop" else 1), boxes
