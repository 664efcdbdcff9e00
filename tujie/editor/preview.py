"""Live preview: the screen edition of the draft and a picture of each page, built warm.

In: draft text that the loader accepted. Out: numbered preview versions
under ``output/.editor/<report>/``: the screen PDF and one 360-pixel PNG per
page, each page with a fingerprint (the hash of its PNG) so the page can be
marked when it differs from the previous version's.

Builds run one at a time in a separate process that keeps a
:class:`tujie.warm.WarmBuilder` (WeasyPrint, the fonts, the templates and
the part caches loaded), so a one-figure edit lays out only the parts it
touched; requests stay responsive while it works. While one build runs,
only the newest draft waits (the drafts typed in between are never built).
The build button's full build (:func:`run_build`) runs in a process of its
own, so previews never wait for it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..warm import PREVIEW

LARGE_WIDTH = 1100
KEEP = 3  # versions kept on disk: the current one, the one it is compared with, one being read


def run_build(source: Path, output: Path, editions: tuple[str, ...]) -> dict:
    """Build ``editions`` of ``source`` into ``output``; {"files": {edition: path}, "pages"} or {"error"}.

    The build button's build, in a process of its own: every edition, into the report's real output folder.
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


def preview_job(builder, text: str, source: str, folder: str, version: int) -> dict:
    """In the worker: build the draft's screen PDF and page pictures as version ``version``.

    ``builder`` is the worker's WarmBuilder: it lays out only the parts the
    edit changed and draws again only the pages whose content changed.
    """
    from ..errors import ReportError
    from .. import limits

    source_path, out = Path(source), Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    # beside the report, so pictures named relative to it are found; hidden, so `source/*.yaml` skips it
    draft = source_path.parent / f".{source_path.stem}.editor-preview.yaml"
    started = time.perf_counter()
    try:
        draft.write_text(text, encoding="utf-8")
        with limits.deadline(limits.TIME_LIMIT_S):
            result = builder.build(draft, PREVIEW)
    except (ReportError, limits.TimeLimitExceeded) as exc:
        return {"version": version, "error": str(exc).replace(str(draft), source)}
    finally:
        draft.unlink(missing_ok=True)
    shutil.copyfile(result.files["screen"], out / f"v{version}.pdf")
    first = result.files["pages"]  # <stem>-p01.png; a no-op build names only the first of them
    pictures = result.outputs.get("pages") or sorted(first.parent.glob(first.name.replace("-p01.png", "-p*.png")))
    hashes = []
    for n, picture in enumerate(pictures, start=1):
        data = picture.read_bytes()
        (out / f"v{version}-{n}.png").write_bytes(data)
        hashes.append(hashlib.sha256(data).hexdigest())
    return {"version": version, "pages": hashes, "seconds": round(time.perf_counter() - started, 2)}


def worker(conn, output: str) -> None:
    """The preview process: one WarmBuilder, kept warm, answering jobs from ``conn`` until told None."""
    from ..build import Paths
    from ..limits import die_with_parent
    from ..warm import WarmBuilder

    die_with_parent()
    with WarmBuilder(Paths(output=Path(output))) as builder:
        while (job := _receive(conn)) is not None:
            try:
                conn.send(preview_job(builder, **job))
            except Exception as exc:  # noqa: BLE001 - reported beside the preview; the worker goes on
                conn.send({"version": job["version"], "error": f"预览生成失败（程序内部错误：{exc}）"})


def _receive(conn):
    """The next job, or None when the editor says stop or has gone away (its end of the pipe closed)."""
    try:
        return conn.recv()
    except (EOFError, OSError):
        return None


@dataclass
class State:
    version: int = 0  # the newest finished version
    pages: list = field(default_factory=list)  # fingerprints of its pages
    changed: list = field(default_factory=list)  # 1-based numbers of its pages that differ from the one before
    error: str | None = None
    seconds: float | None = None
    building: bool = False


class Previewer:
    """One warm worker process and the newest draft waiting for it."""

    def __init__(self, source: Path, folder: Path):
        self.source, self.folder = source, folder
        self.state = State()
        self._lock = threading.Lock()
        self._finished = threading.Condition(self._lock)
        self._pending: str | None = None
        self._running = False
        self._next = 0
        self._process = self._conn = None

    def submit(self, text: str) -> None:
        with self._lock:
            self._pending = text
            self.state.building = True
            if not self._running:
                self._start()

    def _start(self) -> None:  # with the lock held
        if self._process is None:
            # spawn: a fresh interpreter, not a fork of a server with threads; it forks its own pool later
            context = multiprocessing.get_context("spawn")
            self._conn, child = context.Pipe()
            self._process = context.Process(target=worker, args=(child, str(self.folder / "build")),
                                            name="tujie-preview")
            self._process.start()
            child.close()
            threading.Thread(target=self._listen, args=(self._conn, self._process), daemon=True).start()
        text, self._pending = self._pending, None
        self._next += 1
        self._running = True
        self._conn.send({"text": text, "source": str(self.source), "folder": str(self.folder),
                         "version": self._next})

    def _listen(self, conn, process) -> None:
        """Hand each of the worker's answers to ``_done``; if the worker dies, say so once and stop."""
        from multiprocessing.connection import wait

        while True:
            # the process's sentinel too: the worker's pool holds copies of its end of the pipe, so
            # a killed worker does not close the pipe
            ready = wait([conn, process.sentinel])
            try:
                if conn not in ready:
                    raise EOFError
                result = conn.recv()
            except (EOFError, OSError):
                with self._lock:
                    if conn is not self._conn:  # closed on purpose
                        return
                    # killed or out of memory: keep the last preview; the next edit starts a new worker
                    self._process = self._conn = None
                    conn.close()
                self._done({"error": "预览生成失败（预览进程意外退出，下次修改时会重新启动）"})
                return
            self._done(result)

    def _done(self, result: dict) -> None:
        with self._lock:
            if "error" in result:
                self.state.error = result["error"]
            else:
                old = self.state.pages
                new = result["pages"]
                self.state.changed = [n + 1 for n, h in enumerate(new) if n >= len(old) or old[n] != h]
                self.state.pages, self.state.version = new, result["version"]
                self.state.error, self.state.seconds = None, result["seconds"]
                self._prune(result["version"])
            self._running = False
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
        with self._lock:
            conn, process, self._conn, self._process = self._conn, self._process, None, None
        if conn is not None:
            try:
                conn.send(None)  # the worker leaves its loop and shuts its pool down
            except OSError:
                pass
            process.join(5)
            if process.is_alive():
                process.terminate()
            conn.close()
