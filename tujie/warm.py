"""A resident builder: rebuild a report in a process that stays warm between revisions.

In: the project paths (tujie/build.Paths) once, then a report source and the
editions wanted for each build.
Out: a :class:`tujie.build.BuildResult` per build, exactly what
``build_report`` returns (the files are the same: the pipeline is the same,
only started once).

A command-line build spends about a second importing WeasyPrint, matplotlib
and pikepdf, loading the four 10 MB fonts into fontconfig and Pango, and
forking workers for the parts. ``WarmBuilder`` pays that once:

* the heavy modules are imported and the clreq patch installed up front;
* one WeasyPrint font configuration, with the bundled fonts loaded, serves
  every layout (tujie/pdf.shared_font_config);
* a pool of forked workers (one per core), forked after all that, lays out
  the parts a revision changed; it lives as long as the builder;
* file digests (tujie/digests.py), the fonts' character set (tujie/coverage.py)
  and the part, chart and page-image caches in ``output/.cache`` carry over.

``render.py watch`` uses it, and so can a web editor (``serve``). Builds are
serialised: ``build`` may be called from several threads, but one build runs
at a time (a lock), because the layout engine is not thread-safe and the
pool's cores are the machine's.

    with WarmBuilder(paths) as builder:
        result = builder.build(source, ("screen", "pages"))
"""

from __future__ import annotations

import gc
import io
import os
import threading
from pathlib import Path

from .build import BuildResult, Paths, build_report, font_files

PREVIEW = ("screen", "pages")  # what a live preview needs: the screen PDF and a picture of each page


class WarmBuilder:
    """Keeps the pipeline loaded; ``build(source, editions)`` rebuilds one report (one build at a time)."""

    def __init__(self, paths: Paths = Paths(), workers: int | None = None):
        self.paths = paths
        self.workers = workers or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._pool = None
        self._kept: dict = {}  # the editions' own (tujie/registry.EditionContext.kept)
        self._warm_up()

    # ------------------------------------------------------------ public API

    def build(self, source: Path, editions: tuple[str, ...] = PREVIEW, *, force: bool = False,
              allow_overflow: bool = False, impose: bool = False) -> BuildResult:
        """Build ``editions`` of ``source`` as ``build_report`` would; raises its ReportError."""
        from concurrent.futures.process import BrokenProcessPool

        with self._lock:
            try:
                return self._build(source, editions, force, allow_overflow, impose)
            except BrokenProcessPool:
                # a worker died (killed, out of memory): start new ones and build again, once
                self._restart_pool()
                return self._build(source, editions, force, allow_overflow, impose)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            self._kept.clear()  # the long image's strip: ~80 MB
            gc.unfreeze()  # what the builder froze may be collected again (a process that goes on)

    def __enter__(self) -> "WarmBuilder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ inside

    def _build(self, source, editions, force, allow_overflow, impose) -> BuildResult:
        return build_report(Path(source), self.paths, editions=tuple(editions), impose=impose, parallel=True,
                            force=force, allow_overflow=allow_overflow, pool=self._pool,
                            kept=self._kept)

    def _warm_up(self) -> None:
        """Import and load everything a build needs, then fork the workers (which inherit it all)."""
        from . import editions, figures, merge, overflow, qa, check, layout, typeset  # noqa: F401
        from .pdf import load_fonts

        typeset.install()
        self._warm_charts()
        try:
            load_fonts(self.paths.fonts, font_files(self.paths.fonts))
        except Exception:  # noqa: BLE001 - a damaged font is reported by the first build, in Chinese
            pass
        # all of the above lives as long as the builder: kept out of this process's garbage
        # collections (and, inherited, out of the workers')
        gc.collect()
        gc.freeze()
        self._restart_pool()

    def _warm_charts(self) -> None:
        """matplotlib with the bundled fonts registered and opened, as drawing a chart needs them."""
        from .figures import _pyplot, setup_fonts

        try:
            setup_fonts(self.paths.fonts)
        except Exception:  # noqa: BLE001 - reported by the first build
            return
        plt = _pyplot()
        figure = plt.figure(figsize=(2, 1))
        for weight in (400, 500, 700, 900):
            figure.text(0.1, 0.5, "图解 2021 %", fontfamily="Noto Sans SC", fontweight=weight)
        figure.savefig(io.BytesIO(), format="svg")
        plt.close(figure)

    def _restart_pool(self) -> None:
        from concurrent.futures import ProcessPoolExecutor, wait
        from multiprocessing import get_context

        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("fork"),
                                         initializer=_resident_worker)
        # start every worker now, while this process has no other threads (a file watcher may come next)
        wait([self._pool.submit(os.getpid) for _ in range(self.workers)])


def _resident_worker() -> None:
    from .limits import die_with_parent
    from .parts import worker_started

    die_with_parent()
    worker_started()
