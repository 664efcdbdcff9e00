"""Live rebuild: watch the data, layouts and fonts, rebuild the screen edition on every change.

Meant for the editing desk: save the YAML, glance at the PDF a few seconds
later. An invalid edit prints its Chinese error and keeps the last good file.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from .build import Paths, build_report
from .errors import ReportError

EDITIONS = ("screen",)  # the fast edition for checking an edit; `make` makes them all


def rebuild(sources: list[Path], paths: Paths, say: Callable[[str], None]) -> None:
    """Build the screen edition of each report and say what happened."""
    for source in sources:
        start = time.perf_counter()
        try:
            result = build_report(source, paths, editions=EDITIONS, parallel=False)
        except ReportError as exc:
            say(f"✗ {source}：\n{exc}\n  上一次生成的文件没有改动。")
            continue
        took = time.perf_counter() - start
        if result.unchanged:
            say(f"· {source}：没有变化（{took:.2f} 秒）")
        else:
            say(f"✓ {source} → {result.files['screen']}（{result.pages} 页，用时 {took:.1f} 秒）")


def watched_folders(sources: list[Path], paths: Paths) -> list[Path]:
    folders = {source.resolve().parent for source in sources} | {paths.layouts.resolve(), paths.fonts.resolve()}
    return sorted(folders)


def watch(sources: list[Path], paths: Paths, say: Callable[[str], None] = print,
          stop: threading.Event | None = None) -> None:
    """Rebuild once, then after every change under the watched folders, until ``stop`` is set."""
    from watchfiles import watch as watch_changes

    folders = watched_folders(sources, paths)
    say("正在监视：" + "、".join(str(f) for f in folders) + "（按 Ctrl-C 结束）")
    rebuild(sources, paths, say)
    for changes in watch_changes(*folders, stop_event=stop, debounce=300, rust_timeout=500,
                                 watch_filter=_relevant):
        changed = sorted({Path(path).name for _, path in changes})
        say(f"检测到修改：{'、'.join(changed)}")
        rebuild(sources, paths, say)


def _relevant(change, path: str) -> bool:
    name = Path(path).name
    return not name.startswith(".") and not name.endswith(("~", ".swp", ".tmp"))
