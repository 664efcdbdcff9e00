"""Live preview: the screen edition of the draft, built in one background worker.

In: draft text that the loader accepted. Out: numbered preview versions
under ``output/.editor/<report>/``: the screen PDF and one PNG thumbnail
per page, each page with a fingerprint (the hash of its PNG) so the page
can be marked when it differs from the previous version's.

Builds run one at a time in a separate process, so requests stay
responsive while WeasyPrint works; while one runs, only the newest draft
waits (the drafts typed in between are never built). :func:`run_build` is
the one call into the build, so a warmer worker can replace it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

THUMB_WIDTH = 360  # pixels: shown at half that on the page, sharp on high-density screens
LARGE_WIDTH = 1100
KEEP = 3  # versions kept on disk: the current one, the one it is compared with, one being read


def run_build(source: Path, output: Path, editions: tuple[str, ...]) -> dict:
    """Build ``editions`` of ``source`` into ``output``; {"files": {edition: path}, "pages"} or {"error"}.

    The one place the editor calls the build (the warm worker of tujie/warm.py can take its place).
    """
    from ..build import Paths, build_report
    from ..errors import ReportError
    from .. import limits

    try:
        with limits.deadline(limits.TIME_LIMIT_S):
            result = build_report(source, Paths(output=output), editions=editions, parallel=False)
    except (ReportError, limits.TimeLimitExceeded) as exc:
        return {"error": str(exc)}
    return {"files": {k: str(v) for k, v in result.files.items()}, "pages": result.pages,
            "outputs": {k: [str(p) for p in v] for k, v in result.outputs.items()}}


def render_pages(pdf: Path, folder: Path, prefix: str, width: int = THUMB_WIDTH) -> list[str]:
    """Write ``<prefix>-<n>.png`` for every page; return each page's fingerprint (PNG hash)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    hashes = []
    try:
        for n in range(len(doc)):
            page = doc[n]
            image = page.render(scale=width / page.get_width()).to_pil()
            target = folder / f"{prefix}-{n + 1}.png"
            image.save(target, optimize=False)
            hashes.append(hashlib.sha256(image.tobytes()).hexdigest())
    finally:
        doc.close()
    return hashes


def preview_job(text: str, source: str, folder: str, version: int) -> dict:
    """In the worker: build the draft's screen edition and its thumbnails as version ``version``."""
    source_path, out = Path(source), Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    # beside the report, so pictures named relative to it are found; hidden, so `source/*.yaml` skips it
    draft = source_path.parent / f".{source_path.stem}.editor-preview.yaml"
    started = time.perf_counter()
    try:
        draft.write_text(text, encoding="utf-8")
        built = run_build(draft, out / "build", ("screen",))
    finally:
        draft.unlink(missing_ok=True)
    if "error" in built:
        return {"version": version, "error": built["error"].replace(str(draft), source)}
    pdf = out / f"v{version}.pdf"
    shutil.copyfile(built["files"]["screen"], pdf)
    hashes = render_pages(pdf, out, f"v{version}")
    return {"version": version, "pages": hashes, "seconds": round(time.perf_counter() - started, 2)}


@dataclass
class State:
    version: int = 0  # the newest finished version
    pages: list = field(default_factory=list)  # fingerprints of its pages
    changed: list = field(default_factory=list)  # 1-based numbers of its pages that differ from the one before
    error: str | None = None
    seconds: float | None = None
    building: bool = False


class Previewer:
    """One background worker process and the newest draft waiting for it."""

    def __init__(self, source: Path, folder: Path):
        self.source, self.folder = source, folder
        self.state = State()
        self._lock = threading.Lock()
        self._pending: str | None = None
        self._running: Future | None = None
        self._next = 0
        self._pool: ProcessPoolExecutor | None = None
        self._finished = threading.Condition(self._lock)

    def submit(self, text: str) -> None:
        with self._lock:
            self._pending = text
            self.state.building = True
            if self._running is None:
                self._start()

    def _start(self) -> None:  # with the lock held
        if self._pool is None:
            # spawn: a fresh interpreter, not a fork of a server with threads
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        text, self._pending = self._pending, None
        self._next += 1
        self._running = self._pool.submit(preview_job, text, str(self.source), str(self.folder), self._next)
        self._running.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        try:
            result = future.result()
        except Exception as exc:  # the worker died: say so, keep the last preview, start a new worker next time
            result = {"error": f"预览生成失败（程序内部错误：{exc}）"}
            broken = True
        else:
            broken = False
        with self._lock:
            if broken and self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if "error" in result:
                self.state.error = result["error"]
            else:
                old = self.state.pages
                new = result["pages"]
                self.state.changed = [n + 1 for n, h in enumerate(new) if n >= len(old) or old[n] != h]
                self.state.pages, self.state.version = new, result["version"]
                self.state.error, self.state.seconds = None, result["seconds"]
                self._prune(result["version"])
            self._running = None
            if self._pending is not None:
                self._start()
            else:
                self.state.building = False
            self._finished.notify_all()

    def _prune(self, version: int) -> None:
        for path in self.folder.glob("v*"):
            number = path.stem.split("-")[0][1:]
            if number.isdigit() and int(number) <= version - KEEP:
                path.unlink(missing_ok=True)

    def wait(self, timeout: float) -> bool:
        """Block until no build runs or waits (for tests and the CLI's first preview)."""
        with self._lock:
            return self._finished.wait_for(lambda: not self.state.building, timeout)

    def page(self, version: int, number: int, large: bool = False) -> Path | None:
        """The PNG of one page of a kept version (large: rendered now from that version's PDF)."""
        if large:
            pdf = self.folder / f"v{version}.pdf"
            target = self.folder / f"v{version}-{number}-large.png"
            if pdf.is_file() and not target.is_file():
                import pypdfium2

                doc = pypdfium2.PdfDocument(str(pdf))
                try:
                    if not 1 <= number <= len(doc):
                        return None
                    page = doc[number - 1]
                    page.render(scale=LARGE_WIDTH / page.get_width()).to_pil().save(target)
                finally:
                    doc.close()
            return target if target.is_file() else None
        path = self.folder / f"v{version}-{number}.png"
        return path if path.is_file() else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
