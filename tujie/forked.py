"""Run one function in a forked child process and collect its result.

The build uses it twice. Before importing WeasyPrint, a child draws the
charts the cache lacks (matplotlib and WeasyPrint each take ~0.7 s to
import, so the two imports overlap), and then, while the parent lays the
booklet out, the web edition's charts into the cache. After layout, a child
joins, finishes and checks the print file while the parent joins the screen
file and draws the long image. Forking means the child starts with everything the parent
has already imported and its arguments are never pickled.

The child is a ``multiprocessing`` process, so ``limits.stop_workers`` finds
and stops it when a build is interrupted; a child still running ``then``
when the build fails is stopped by the build (``stop``).
"""

from __future__ import annotations

import multiprocessing

from .errors import ReportError


class Forked:
    """``fn(*args)`` running in a forked child; ``result()`` waits for it.

    ``then(*args)``, if given, runs in the child after ``fn``'s result is sent:
    work whose only output is a cache that a later step reads (the parent calls
    ``join()`` before that step; a failure there only means that step does the
    work itself)."""

    def __init__(self, fn, *args, what: str = "印刷版", then=None):
        self.what = what  # for the error message, in Chinese
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(send, fn, args, what, then), daemon=True)
        self._process.start()
        self._then = then
        send.close()  # the parent only reads; EOF then means the child died

    def result(self):
        """The function's return value; its exception is raised here."""
        try:
            ok, value = self._receive.recv()
        except EOFError:
            self._process.join()
            raise ReportError(f"生成{self.what}的子进程意外退出（退出码 {self._process.exitcode}）") from None
        finally:
            self._receive.close()
        if self._then is None or not ok:
            self._process.join()
        if ok:
            return value
        raise value

    def join(self) -> None:
        """Wait until the child, ``then`` included, has finished."""
        self._process.join()

    def stop(self) -> None:
        """End the child if it is still running (a failed build does not wait for ``then``)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


def _run(send, fn, args, what: str, then=None) -> None:
    try:
        outcome = (True, fn(*args))
    except ReportError as exc:
        outcome = (False, exc)
    except BaseException as exc:  # noqa: BLE001 - anything else is reported, not lost with the child
        outcome = (False, ReportError(f"生成{what}时出错：{type(exc).__name__}: {exc}"))
    send.send(outcome)
    send.close()
    if then is not None and outcome[0]:
        try:
            then(*args)
        except BaseException:  # noqa: BLE001 - Ctrl-C included: the step that reads the cache does the work
            pass  # itself, and reports its own errors
