"""A resident build process for the command line, so that ``make`` after a revision starts warm.

In: requests from ``render.py`` over a Unix socket in the output folder's
cache (``<output>/.cache/daemon.sock``): one JSON line with the build's
source, options and the working folder. Out: the lines the build printed,
one JSON line each ({"out": …} or {"err": …}), then {"exit": status}.

A command-line build spends about 1.5 s starting Python, importing
WeasyPrint, matplotlib and pydantic, loading the fonts and forking workers,
before any layout starts. After a build, ``render.py`` starts this process
in the background (:func:`start`); it keeps a :class:`tujie.warm.WarmBuilder`
for that output folder and waits. The next ``render.py`` for one report
hands its build over (:func:`hand_over`) and only prints what comes back;
when no process answers, it builds by itself as before. So the resident
process only ever saves time, and nothing depends on it.

It stops by itself after :data:`IDLE_S` without a request, when the
project's code or pinned libraries change (it answers "stale" and the
caller builds by itself), on ``render.py daemon stop``, and with its parent
session never: it runs in a session of its own, its output in
``<output>/.cache/daemon.log``. ``TUJIE_DAEMON=0`` (or ``--no-daemon``)
turns it off; the tests do that except where they test it.

Safety: the socket is created mode 0600 inside the project's own output
folder and the peer's user id is checked (SO_PEERCRED), so only the user
who started it can ask it to build; it builds exactly what that user's own
``render.py`` would.

If the caller goes away mid-build (Ctrl-C), the build is interrupted as a
Ctrl-C would interrupt it in the caller's own process: staging is removed
and the last good output stays.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from .build import PROJECT, Paths

IDLE_S = 20 * 60  # a working session of corrections; then the memory (about 500 MB) is given back
SOCKET_NAME, LOCK_NAME, LOG_NAME = "daemon.sock", "daemon.lock", "daemon.log"
MAX_SOCKET_PATH = 100  # bytes; sun_path holds 108 and a longer path cannot be bound
CONNECT_TIMEOUT_S = 0.5


def enabled(no_daemon: bool = False) -> bool:
    return not no_daemon and os.environ.get("TUJIE_DAEMON", "1") != "0"


def socket_path(paths: Paths) -> Path | None:
    """Where the daemon for this output folder listens (None: the path is too long for a socket)."""
    path = paths.cache.resolve() / SOCKET_NAME
    return path if len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def code_signature() -> str:
    """Changes whenever the project's code or its pinned libraries change: a daemon older than that is stale."""
    digest = hashlib.sha256(sys.version.encode() + sys.executable.encode())
    files = sorted((PROJECT / "tujie").rglob("*.py")) + sorted(PROJECT.glob("requirements*.txt"))
    for path in files:
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- the caller's side


def hand_over(paths: Paths, request: dict, write_out=print, write_err=None) -> int | None:
    """Have a running daemon build ``request``; its exit status, or None if no usable daemon answered."""
    write_err = write_err or (lambda line: print(line, file=sys.stderr))
    where = socket_path(paths)
    if where is None or not where.exists():
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(CONNECT_TIMEOUT_S)
        client.connect(str(where))
        client.settimeout(None)  # a build takes as long as it takes (the daemon applies the time limit)
        client.sendall(json.dumps({**request, "code": code_signature()}, ensure_ascii=False).encode() + b"\n")
        for line in client.makefile("r", encoding="utf-8"):
            answer = json.loads(line)
            if "stale" in answer:
                return None
            if "out" in answer:
                write_out(answer["out"])
            elif "err" in answer:
                write_err(answer["err"])
            elif "exit" in answer:
                return int(answer["exit"])
        return None  # it went away before answering: build here
    except (OSError, ValueError):
        return None
    finally:
        client.close()


def start(paths: Paths) -> None:
    """Start a daemon for ``paths.output`` in the background, unless one runs (it checks, under a lock)."""
    where = socket_path(paths)
    if where is None:
        return
    paths.cache.mkdir(parents=True, exist_ok=True)
    with (paths.cache / LOG_NAME).open("ab") as log:
        subprocess.Popen([sys.executable, "-m", "tujie.daemon", str(paths.output.resolve())],
                         cwd=PROJECT, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True, close_fds=True, env={**os.environ, "TUJIE_DAEMON": "0"})


def stop(paths: Paths, timeout: float = 10) -> bool:
    """Ask the daemon for ``paths.output`` to stop; True if one was running."""
    where = socket_path(paths)
    if where is None or not where.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(CONNECT_TIMEOUT_S)
            client.connect(str(where))
            client.sendall(b'{"stop": true}\n')
            client.settimeout(timeout)
            client.recv(1024)
    except OSError:
        return False
    deadline = time.monotonic() + timeout
    while where.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def running(paths: Paths) -> int | None:
    """The process id of the daemon for ``paths.output``, or None."""
    where = socket_path(paths)
    if where is None or not where.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(CONNECT_TIMEOUT_S)
            client.connect(str(where))
            client.sendall(b'{"ping": true}\n')
            return int(json.loads(client.makefile("r").readline())["pid"])
    except (OSError, ValueError, KeyError):
        return None


# ---------------------------------------------------------------- the daemon's side


class _Lines(io.TextIOBase):
    """A text stream that sends each printed line to the caller as {"out"/"err": line}."""

    def __init__(self, conn: socket.socket, key: str):
        self.conn, self.key, self.buffer = conn, key, ""

    def write(self, text: str) -> int:
        self.buffer += text
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            self._send(line)
        return len(text)

    def flush(self) -> None:
        if self.buffer:
            self._send(self.buffer)
            self.buffer = ""

    def _send(self, line: str) -> None:
        with contextlib.suppress(OSError):  # the caller went away: the build is being interrupted
            self.conn.sendall(json.dumps({self.key: line}, ensure_ascii=False).encode() + b"\n")


def serve(output: Path) -> int:
    """Run the daemon for ``output`` until idle, stale or stopped."""
    from . import cli, limits
    from .warm import WarmBuilder

    paths = Paths(output=output)
    paths.cache.mkdir(parents=True, exist_ok=True)
    where = socket_path(paths)
    if where is None:
        return 2
    lock = (paths.cache / LOCK_NAME).open("a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # one is running already (or starting)
    signature = code_signature()
    where.unlink(missing_ok=True)  # left by a daemon that was killed: we hold the lock, so it is not in use
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_mask = os.umask(0o177)
    try:
        listener.bind(str(where))
    finally:
        os.umask(old_mask)
    listener.settimeout(IDLE_S)
    try:
        with limits.terminate_as_interrupt(), WarmBuilder(paths) as builder:
            listener.listen(4)  # after the warm-up: a caller that connects earlier builds by itself
            while True:
                try:
                    conn, _ = listener.accept()
                except socket.timeout:
                    return 0
                with conn:
                    if not _same_user(conn):
                        continue
                    try:
                        if _answer(conn, builder, paths, signature, cli) == "stop":
                            return 0
                    except limits.Terminated:
                        raise
                    except KeyboardInterrupt:  # the caller left just as its build ended: nothing to undo
                        continue
    except limits.Terminated:
        return 0
    finally:
        where.unlink(missing_ok=True)
        listener.close()
        lock.close()


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _answer(conn: socket.socket, builder, paths: Paths, signature: str, cli) -> str | None:
    """Handle one request; "stop" when the daemon should end."""
    from . import limits

    try:
        request = json.loads(conn.makefile("r", encoding="utf-8").readline() or "{}")
    except ValueError:
        return None
    if request.get("ping"):
        conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        return None
    if request.get("stop"):
        conn.sendall(b'{"stopping": true}\n')
        return "stop"
    if request.get("code") != signature or signature != code_signature():
        conn.sendall(b'{"stale": true}\n')  # the caller builds with the new code; a new daemon follows
        return "stop"
    building = threading.Event()
    building.set()
    threading.Thread(target=_interrupt_when_gone, args=(conn, building), daemon=True).start()
    out, err = _Lines(conn, "out"), _Lines(conn, "err")
    status = 1
    try:
        os.chdir(request["cwd"])  # relative paths in the messages read as in the caller's terminal
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = cli.print_outcome([cli.build_one(request["source"], paths, request["options"],
                                                          build=_warm(builder))])
            except limits.Terminated:
                raise
            except KeyboardInterrupt:  # the caller went away (see _interrupt_when_gone)
                print("已中断，上一次生成的文件没有改动。", file=sys.stderr)
                status = 130
        building.clear()
    finally:
        building.clear()
        out.flush()
        err.flush()
        os.chdir(PROJECT)
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} built {request['source']}: exit {status}", flush=True)  # the log
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps({"exit": status}).encode() + b"\n")
    return None


def _warm(builder):
    def build(source: Path, paths: Paths, *, editions, impose=False, force=False, parallel=True,
              allow_overflow=False):
        return builder.build(source, editions, force=force, allow_overflow=allow_overflow, impose=impose)

    return build


def _interrupt_when_gone(conn: socket.socket, building: threading.Event) -> None:
    """The caller closed its end (Ctrl-C, killed): interrupt the build like a Ctrl-C in its own process."""
    with contextlib.suppress(OSError):
        while building.is_set():
            ready = conn.recv(1, socket.MSG_PEEK)
            if not ready:
                break
            conn.recv(1)
    if building.is_set():
        os.kill(os.getpid(), signal.SIGINT)


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1])))
