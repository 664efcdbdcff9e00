"""Shared fixtures: build each report once per test session into a temp folder."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pypdfium2
import pytest

# no resident build process behind the tests' CLI runs (tujie/daemon.py); tests/test_daemon.py turns it on itself
os.environ["TUJIE_DAEMON"] = "0"

from tujie.build import PROJECT, Paths, build_report

SOURCE = PROJECT / "source"
DEFAULT = SOURCE / "qiantang-2021.yaml"
SAMPLE = SOURCE / "sample-town-2025.yaml"
SEED = PROJECT.parent / "shared" / "seeds" / "000_bfa3ef6ae9a59b07.txt"


def pdf_text(pdf: Path) -> str:
    """All text of a PDF in page order, as pdfium extracts it."""
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def squash(text: str) -> str:
    """Compare texts ignoring width of punctuation (NFKC) and all whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    """Every edition of the default report, imposed file included, built once per session."""
    return build_report(DEFAULT, Paths(output=tmp_path_factory.mktemp("out")), impose=True)


@pytest.fixture(scope="session")
def default_text(default_build) -> str:
    return pdf_text(default_build.pdf)


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    return build_report(SAMPLE, Paths(output=tmp_path_factory.mktemp("sample")))


@pytest.fixture(scope="session")
def seed_text() -> str:
    if SEED.is_file():
        return SEED.read_text(encoding="utf-8")
    # a clean clone without shared/ beside it: the copy kept with the tests
    return (Path(__file__).parent / "data" / "seed.txt").read_text(encoding="utf-8")


CHROMIUM = Path(os.environ.get("TUJIE_CHROMIUM", "/usr/bin/chromium"))  # Debian's, installed by `make test-deps`; playwright's own browsers are never used
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for every browser test: playwright's sync API runs one event loop per thread,
    so a second sync_playwright() in the same session would fail."""
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: run `make test-deps` (part of `make test`)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
