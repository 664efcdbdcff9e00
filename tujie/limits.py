"""Keep a bad input from running away, and a stopped build from leaving debris.

A wrong value or a pasted chapter can make WeasyPrint lay out hundreds of
pages or spin for many minutes (a card that may not break across pages but
is taller than one is laid out again and again). Non-programmers then see a
hung terminal, or a booklet of 300 pages. So a build is bounded three ways,
each ending in a clear Chinese message:

* before layout, :func:`check_content` caps the length of one text and of all
  texts together (the default report has at most 222 characters in one text
  and about 7,000 in all);
* after layout, :func:`check_pages` caps the page count (:data:`MAX_PAGES`);
* :func:`deadline` stops the whole build after :data:`TIME_LIMIT_S` seconds
  (SIGALRM in the main thread; the CLI wraps each report in it).

And so that a stopped build leaves nothing behind, :class:`OutputGuard` lets
only one build write a report's output folder at a time (a lock file that the
kernel releases even if the process is killed), removes staging folders left
by killed builds, and stops this build's worker processes when it fails;
:func:`terminate_as_interrupt` turns SIGTERM into an exception so the usual
clean-up runs.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import shutil
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from .errors import ReportError, ReportErrors

MAX_PAGES = 64  # a saddle-stitched booklet; the default report has 16
TIME_LIMIT_S = 120  # the default report builds in 5–15 s
REPEAT_S = 0.2  # after the limit, ring again this often until the build has stopped
MAX_TEXT_CHARS = 600  # characters in one text (the default report's longest: 222; a 900-character panel takes 30 s to lay out)
MAX_TOTAL_CHARS = 40_000  # characters in all texts (the default report: ~7,000 on 16 pages)
LOCK_NAME = ".build.lock"
STAGING_PREFIX = ".staging-"  # as made by tujie.build


class TimeLimitExceeded(BaseException):
    """The build ran past its time limit.

    A BaseException, like KeyboardInterrupt, so no ``except Exception`` inside
    a library can swallow it; the CLI reports it like a ReportError.
    """

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return (f"生成超过了 {self.seconds:g} 秒的时间限制，已经停止。通常是某条文字太长或条目太多，"
                f"排版陷入反复计算；请检查最近改动的内容")


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C so staging folders are removed."""


# ---------------------------------------------------------------- before layout


def check_content(report, source: Path) -> None:
    """Refuse texts too long for a booklet before spending minutes laying them out."""
    from .model import strings_in  # the same walk over the report's texts

    strings = list(strings_in(report))
    too_long = [(path, text) for path, text in strings if len(text) > MAX_TEXT_CHARS]
    total = sum(len(text) for _, text in strings)
    errors = [_located(source, path, f"这一条文字有 {len(text)} 个字，超过了 {MAX_TEXT_CHARS} 字的上限；"
                                     f"图解里的每一条应当简短，请拆成几条或删减")
              for path, text in too_long[:20]]
    if total > MAX_TOTAL_CHARS:
        errors.append(ReportError(f"全部文字共 {total} 字，超过了 {MAX_TOTAL_CHARS} 字的上限，"
                                  f"排出来会超过 {MAX_PAGES} 页；请检查是否误粘贴了大段内容", file=str(source)))
    if errors:
        raise ReportErrors(errors, more=max(0, len(too_long) - 20))


def _located(source: Path, path: tuple, message: str) -> ReportError:
    from .load import load_marks
    from .yamlio import dotted

    line, column = load_marks(source).get(path, (None, None))
    return ReportError(message, file=str(source), line=line, column=column, field=dotted(path))


# ---------------------------------------------------------------- after layout


def check_pages(document, source: Path) -> None:
    """Refuse a layout longer than MAX_PAGES."""
    check_page_count(len(document.pages), source)


def check_page_count(pages: int, source: Path) -> None:
    if pages > MAX_PAGES:
        raise ReportError(f"排出来有 {pages} 页，超过了 {MAX_PAGES} 页的上限；通常是某个列表或某段文字太长"
                          f"（比如误粘贴了整篇文章），请检查最近改动的内容", file=str(source))


# ---------------------------------------------------------------- time


@contextmanager
def deadline(seconds: float = TIME_LIMIT_S):
    """Raise TimeLimitExceeded in the main thread after ``seconds``; elsewhere a no-op."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    fired = []

    def expired(signum, frame):
        fired.append(True)
        stop_workers()
        if sys.exc_info()[0] is None:  # never break into the clean-up of an error already on its way out
            raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    # keep ringing: an exception raised where Python ignores it (a __del__, a weakref callback) or a
    # library that catches BaseException (WeasyPrint's SVG drawing) must not let the build run on
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_S)
    try:
        yield
    except Exception:
        if fired:  # the swallowed signal surfaced as some other error: say what really happened
            raise TimeLimitExceeded(seconds) from None
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def terminate_as_interrupt():
    """Within this block SIGTERM raises Terminated, so ``finally`` clean-ups run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        stop_workers()
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_OWN_WORKERS: set[int] = set()  # pids of worker processes that existed before the current build


def stop_workers() -> None:
    """Terminate worker processes started by the running build (e.g. the print layout)."""
    for child in multiprocessing.active_children():
        if child.pid not in _OWN_WORKERS:
            child.terminate()


def die_with_parent() -> None:
    """Ask the kernel to end this process when its parent dies (Linux; elsewhere nothing happens).

    A resident worker (tujie/warm.py, the editor's preview) that was killed
    with SIGKILL, or ran out of memory, cannot shut its pool down; without this
    its forked workers would wait for work forever, 170 MB each.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call: nobody would send the signal
        os._exit(1)


# ---------------------------------------------------------------- the output folder


class OutputGuard:
    """One build at a time per output folder; sweeps staging folders of killed builds.

    ``flock`` locks belong to the open file, so the kernel drops the lock when
    the holder dies, however it dies. Whoever holds it knows that any staging
    folder present is debris of a build that can no longer finish.
    """

    def __init__(self, out_dir: Path):
        out_dir.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(out_dir / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"等待同一份报告的另一次生成结束（{out_dir.name}）……", file=sys.stderr)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(self.fd)
                raise
        for stale in out_dir.glob(STAGING_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)
        _OWN_WORKERS.clear()
        _OWN_WORKERS.update(child.pid for child in multiprocessing.active_children())

    def release(self) -> None:
        """Unlock; called from the build's ``finally``.

        If an exception is on its way out (a failed check, Ctrl-C, the time
        limit), first stop this build's worker processes: their result will be
        thrown away, and the clean-up would otherwise wait for them.
        """
        if sys.exc_info()[0] is not None:
            stop_workers()
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1
