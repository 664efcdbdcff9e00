"""The command line's resident build process (tujie/daemon.py), driven as a user drives it: render.py in new processes.

Checks that a second ``render.py`` hands its build to the process the first one left, that the files
are the ones a build of its own would make, that bad input and Ctrl-C keep the last good output, and
that a stale or stopped process goes away.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLE, pdf_text
from tujie import daemon
from tujie.build import PROJECT, Paths

RENDER = [sys.executable, str(PROJECT / "render.py")]


def _render(*args, daemon_on: bool = True, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "TUJIE_DAEMON": "1" if daemon_on else "0"}
    return subprocess.run([*RENDER, *map(str, args)], cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=300, **kw)


def _wait_for(paths: Paths, seconds: float = 120) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid = daemon.running(paths)
        if pid:
            return pid
        time.sleep(0.2)
    raise AssertionError("the resident process did not start: " + (paths.cache / daemon.LOG_NAME).read_text())


def _gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if Path(f"/proc/{pid}/stat").is_file() and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return True  # exited, waiting for its (detached) parent to collect it
        time.sleep(0.1)
    return False


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".pdf", ".jpg", ".html")}


@pytest.fixture
def work(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    source = src / SAMPLE.name
    shutil.copyfile(SAMPLE, source)
    paths = Paths(output=tmp_path / "o")
    yield source, paths
    daemon.stop(paths)


def test_second_build_is_handed_over_and_makes_the_same_files(work, tmp_path, monkeypatch):
    source, paths = work
    assert daemon.socket_path(paths) is not None
    first = _render(source, "-o", paths.output, "-e", "screen", "-e", "print")
    assert first.returncode == 0, first.stderr
    pid = _wait_for(paths)
    socket_file = daemon.socket_path(paths)
    assert socket_file.stat().st_mode & 0o777 == 0o600

    # a one-figure revision: built by the resident process (its log says so), with the new value in the file
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("grain_2024: {value: 3.2,", "grain_2024: {value: 3.7,"), encoding="utf-8")
    revised = _render(source, "-o", paths.output, "-e", "screen", "-e", "print")
    assert revised.returncode == 0, revised.stderr
    assert "已通过检查" in revised.stdout
    assert f"built {source}: exit 0" in (paths.cache / daemon.LOG_NAME).read_text(encoding="utf-8")
    screen = next((paths.output / source.stem).glob("*-screen.pdf"))
    assert "3.7万吨" in pdf_text(screen)
    # byte for byte what a build of its own makes (the files are reproducible)
    alone = Paths(output=tmp_path / "alone")
    assert _render(source, "-o", alone.output, "-e", "screen", "-e", "print", daemon_on=False).returncode == 0
    assert _digests(paths.output / source.stem) == _digests(alone.output / source.stem)
    assert daemon.running(alone) is None  # TUJIE_DAEMON=0 starts none

    # bad input through the resident process: the same located Chinese message, the output untouched
    before = _digests(paths.output / source.stem)
    source.write_text(text.replace("grain_2024: {value: 3.2,", "grain_2024: {value: 3,7万吨,"), encoding="utf-8")
    bad = _render(source, "-o", paths.output, "-e", "screen", "-e", "print")
    assert bad.returncode == 1
    assert "生成失败" in bad.stderr and "第 34 行" in bad.stderr and "上一次生成的文件没有改动" in bad.stderr
    assert _digests(paths.output / source.stem) == before

    # Ctrl-C while the resident process builds: interrupted, output untouched, the process serves on
    source.write_text(text.replace("grain_2024: {value: 3.2,", "grain_2024: {value: 3.9,"), encoding="utf-8")
    env = {**os.environ, "TUJIE_DAEMON": "1"}
    client = subprocess.Popen([*RENDER, str(source), "-o", str(paths.output), "-e", "screen", "-e", "print"],
                              cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.4)
    client.send_signal(signal.SIGINT)
    _, err = client.communicate(timeout=120)
    if client.returncode == 130:  # (a machine fast enough may have finished first: then there is nothing to check)
        assert "已中断" in err
        time.sleep(1.0)
        assert _digests(paths.output / source.stem) == before
    assert daemon.running(paths) == pid

    # new code: the process says it is stale and leaves; the caller builds by itself
    monkeypatch.setattr(daemon, "code_signature", lambda: "another version of the code")
    assert daemon.hand_over(paths, {"source": str(source), "cwd": str(PROJECT), "options": {"editions": ["screen"]}},
                            write_out=lambda line: None, write_err=lambda line: None) is None
    assert _gone(pid)
    assert not socket_file.exists()


def test_daemon_command_reports_and_stops_it(work):
    source, paths = work
    assert "没有" in _render("daemon", "status", "-o", paths.output).stdout
    daemon.start(paths)
    pid = _wait_for(paths)
    status = _render("daemon", "status", "-o", paths.output)
    assert status.returncode == 0 and str(pid) in status.stdout
    stopped = _render("daemon", "stop", "-o", paths.output)
    assert stopped.returncode == 0 and "已停止" in stopped.stdout
    assert _gone(pid) and daemon.running(paths) is None
    # its pool workers went with it
    wanted = f"tujie.daemon\0{paths.output}".encode()
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if wanted in cmdline.read_bytes():
                left.append(cmdline.parent.name)
        except OSError:
            pass
    assert not left, left
