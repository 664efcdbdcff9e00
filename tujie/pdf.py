"""Stage 4: set the booklet's HTML in WeasyPrint and write the PDF.

Three guards sit around WeasyPrint here:

* a URL fetcher that only serves ``data:`` URLs and files inside the project
  folders it is given — report data can never pull in ``/etc/passwd``, a
  device or a network address;
* a log watcher that turns a drawn ``.notdef`` glyph (a character the bundled
  fonts lack) or a refused resource into a build error;
* a check that HarfBuzz's fast font subsetter is present, because without it
  WeasyPrint falls back to fontTools and a build takes ~25× longer.
"""

from __future__ import annotations

import ctypes.util
import logging
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from .errors import ReportError


class ProjectFetcher(URLFetcher):
    """Serve data: URLs and files under ``roots``; refuse everything else."""

    def __init__(self, roots: list[Path]):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.roots = [root.resolve() for root in roots]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlparse(url).path)).resolve()
            if path.is_file() and any(path.is_relative_to(root) for root in self.roots):
                return super().fetch(url, headers)
        self.refused.append(url)
        raise FatalURLFetchingError(f"拒绝读取项目以外的资源：{url}")


class _LogWatcher(logging.Handler):
    """Collect WeasyPrint warnings that mean a wrong-looking booklet."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.missing: list[str] = []
        self.problems: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if ".notdef" in message:
            self.missing.append(message.rsplit(":", 1)[-1].strip())
        elif "Failed to load" in message or "Ignored" in message or "Invalid" in message:
            self.problems.append(message)


@contextmanager
def _watch_weasyprint_log():
    logger = logging.getLogger("weasyprint")
    watcher = _LogWatcher()
    logger.addHandler(watcher)
    try:
        yield watcher
    finally:
        logger.removeHandler(watcher)


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def write_pdf(html: str, base_dir: Path, roots: list[Path], target: Path, *,
              pdf_variant: str | None = None, metadata: dict | None = None) -> int:
    """Render ``html`` to ``target``; return the page count. Raise ReportError on problems."""
    fetcher = ProjectFetcher(roots)
    font_config = FontConfiguration()
    with _watch_weasyprint_log() as watcher:
        try:
            document = HTML(string=html, base_url=str(base_dir) + "/", url_fetcher=fetcher).render(
                font_config=font_config)
        except FatalURLFetchingError as exc:
            raise ReportError(str(exc)) from None
        if watcher.problems:
            raise ReportError("排版时出现问题：" + "；".join(watcher.problems[:5]))
        options = {"pdf_variant": pdf_variant} if pdf_variant else {}
        # glyphs are looked up while drawing, so .notdef shows up only now;
        # the caller writes to a temporary file and discards it on error
        document.write_pdf(target, **options, **(metadata or {}))
        if watcher.missing:
            chars = "、".join(sorted(set(watcher.missing)))
            raise ReportError(f"字体里没有这些字符，排出来会是方框：{chars}。请改用常用字，或在 fonts/ 里补充字库")
        return len(document.pages)
