"""``render.py serve``: start the editor with uvicorn and say where it is.

In: the report file, host and port. Out: a running server until Ctrl-C;
exit status 2 when the file is outside the project or the port is taken.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from ..build import PROJECT
from ..errors import ReportError
from .guard import Refused, _loopback


def serve(source: Path, host: str = "127.0.0.1", port: int = 8765, project: Path = PROJECT) -> int:
    import uvicorn

    from .app import create_app

    try:
        app = create_app(source, project, host=host, port=port)
    except (Refused, ReportError) as exc:
        print(f"无法打开编辑器：{getattr(exc, 'message', exc)}（{source}）", file=sys.stderr)
        return 2
    if not _loopback(host):
        print(f"⚠ 警告：编辑器监听在 {host}，同一网络里的其他电脑也能打开并修改这份报告。"
              "编辑器没有登录密码，只应在可信的网络里这样做；平时请用默认的 127.0.0.1。", file=sys.stderr)
    try:  # a clear message instead of uvicorn's English one
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError:
        print(f"无法打开编辑器：端口 {port} 已被占用（也许编辑器已经在运行），请用 --port 换一个端口", file=sys.stderr)
        return 2
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"编辑器已启动：请在浏览器里打开 http://{shown}:{port}/  （按 Ctrl+C 停止）", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
