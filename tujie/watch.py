"""Live rebuild: watch the data, layouts and fonts, rebuild the screen edition on every change.

In: report sources and the project paths. Out: after every saved change, the
screen PDF and one picture a page (``pages/``) rebuilt, and a line saying so.

Meant for the editing desk: save the YAML, glance at the PDF about a second
later. The builds run in a resident :class:`tujie.warm.WarmBuilder`, so only
the first one pays for imports and fonts. An invalid edit prints its Chinese
error and keeps the last good file.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from .build import Paths
from .errors import ReportError
from .warm import PREVIEW, WarmBuilder

EDITIONS = PREVIEW  # the fast editions for checking an edit; `make` makes them all


def rebuild(sources: list[Path], builder: WarmBuilder, say: Callable[[str], None],
            editions: tuple[str, ...] = EDITIONS) -> None:
    """Build the screen edition and page pictures (or ``editions``) of each report and say what happened."""
    for source in sources:
        start = time.perf_counter()
        try:
            result = builder.build(source, editions)
        except ReportError as exc:
            say(f"✗ {source}：\n{exc}\n  上一次生成的文件没有改动。")
            continue
        took = time.perf_counter() - start
        if result.unchanged:
            say(f"· {source}：没有变化（{took:.2f} 秒）")
        else:
            shown = result.files.get("screen") or next(iter(result.files.values()))
            say(f"✓ {source} → {shown}（{result.pages} 页，用时 {took:.1f} 秒）")


def watched_folders(sources: list[Path], paths: Paths) -> list[Path]:
    folders = {source.resolve().parent for source in sources} | {paths.layouts.resolve(), paths.fonts.resolve()}
    return sorted(folders)


def _say(text: str) -> None:
    print(text, flush=True)  # at once, also when the output is a pipe (an editor, the benchmark)


def watch(sources: list[Path], paths: Paths, say: Callable[[str], None] = _say,
          stop: threading.Event | None = None, editions: tuple[str, ...] | None = None) -> None:
    """Rebuild once, then after every change under the watched folders, until ``stop`` is set.
    ``editions``: what to build (default: the screen PDF and the page pictures)."""
    editions = editions or EDITIONS
    from watchfiles import watch as watch_changes

    folders = watched_folders(sources, paths)
    say("正在监视：" + "、".join(str(f) for f in folders) + "（按 Ctrl-C 结束）")
    with WarmBuilder(paths) as builder:
        rebuild(sources, builder, say, editions)
        # a short debounce: an editor's save is one or two events within a few milliseconds
        for changes in watch_changes(*folders, stop_event=stop, debounce=50, step=20, rust_timeout=500,
                                     watch_filter=_relevant):
            changed = sorted({Path(path).name for _, path in changes})
            say(f"检测到修改：{'、'.join(changed)}")
            rebuild(sources, builder, say, editions)


def _relevant(change, path: str) -> bool:
    name = Path(path).name
    return not name.startswith(".") and not name.endswith(("~", ".swp", ".tmp"))
