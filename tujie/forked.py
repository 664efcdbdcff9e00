"""Run one function in a forked child process and collect its result.

The build uses it twice. Before importing WeasyPrint, a child draws the
charts the cache lacks (matplotlib and WeasyPrint each take ~0.7 s to
import, so the two imports overlap). After layout, a child joins, finishes
and checks the print file while the parent joins the screen file and draws
the long image. Forking means the child starts with everything the parent
has already imported and its arguments are never pickled.

The child is a ``multiprocessing`` process, so ``limits.stop_workers`` finds
and stops it when a build is interrupted.
"""

from __future__ import annotations

import multiprocessing

from .errors import ReportError


class Forked:
    """``fn(*args)`` running in a forked child; ``result()`` waits for it."""

    def __init__(self, fn, *args, what: str = "印刷版"):
        self.what = what  # for the error message, in Chinese
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(send, fn, args, what), daemon=True)
        self._process.start()
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
        self._process.join()
        if ok:
            return value
        raise value


def _run(send, fn, args, what: str) -> None:
    try:
        outcome = (True, fn(*args))
    except ReportError as exc:
        outcome = (False, exc)
    except BaseException as exc:  # noqa: BLE001 - anything else is reported, not lost with the child
        outcome = (False, ReportError(f"生成{what}时出错：{type(exc).__name__}: {exc}"))
    send.send(outcome)
    send.close()
