"""What makes the editor safe to run as a server.

* :class:`HostGuard` (ASGI middleware): a request whose ``Host`` is not the
  server's own address is refused, so a web page whose domain is re-pointed
  at 127.0.0.1 (DNS rebinding) cannot read or change the report; a request
  whose ``Origin`` (or ``Sec-Fetch-Site``) says another site sent it is
  refused, so no other page can post edits from the user's browser (CSRF).
* :func:`inside`: a path given by a request must name a file inside a
  folder — no ``..`` (plain or percent-encoded), no absolute paths, no
  symbolic links anywhere along it.
* :func:`read_limited`: a request body is read up to a limit, never all.

Every response also says what the browser may do with it: the page runs
only its own script and cannot be framed; built files are sandboxed.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from pathlib import Path
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
# the editor's page loads only its own script, styles, fonts and previews, and cannot be framed (clickjacking)
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
               "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'")


def allowed_hosts(host: str, port: int) -> set[str]:
    """``host:port`` values a browser sends for this server."""
    names = set(LOOPBACK) if _loopback(host) else {host}
    if host in ("0.0.0.0", "::"):  # every interface, asked for explicitly: the machine's own names
        names = set(LOOPBACK)
        try:
            hostname = socket.gethostname()
            names |= {hostname, socket.getfqdn()}
            names |= {info[4][0] for info in socket.getaddrinfo(hostname, None)}
        except OSError:
            pass
    return {f"{name}:{port}" for name in names} | ({f"{name}" for name in names} if port == 80 else set())


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


class HostGuard:
    """ASGI middleware refusing foreign Host and Origin headers."""

    def __init__(self, app, hosts: set[str]):
        self.app, self.hosts = app, {h.lower() for h in hosts}
        self.origins = {f"http://{h}" for h in self.hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        origin = headers.get("origin")
        problem = None
        if host not in self.hosts:
            problem = f"拒绝访问：请求的地址“{host or '（无）'}”不是本编辑器的地址（为防止 DNS 重绑定攻击）"
        elif origin is not None and origin.lower() not in self.origins:
            problem = f"拒绝访问：请求来自其他网站“{origin}”（为防止跨站请求伪造）"
        elif headers.get("sec-fetch-site") == "cross-site":
            problem = "拒绝访问：请求来自其他网站（为防止跨站请求伪造）"
        if problem:
            return await refusal(403, problem)(scope, receive, send)
        # built files are shown as documents of no origin: nothing in them can call the editor
        policy = "sandbox" if scope.get("path", "").startswith("/download/") else PAGE_POLICY

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (b"content-security-policy", policy.encode()), (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
            await send(message)

        return await self.app(scope, receive, with_headers)


class Refused(Exception):
    """A request asked for something the editor never does; ``status`` and a Chinese message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def inside(folder: Path, name: str) -> Path:
    """``folder/name`` if it is a plain file inside ``folder`` reached without links; else Refused."""
    decoded = name
    for _ in range(3):  # %252e%252e is %2e%2e once decoded, and .. twice
        decoded = unquote(decoded)
    parts = decoded.replace("\\", "/").split("/")
    if (not name or decoded.startswith("/") or ":" in decoded or any(p in ("", ".", "..") for p in parts)
            or "\x00" in decoded):
        raise Refused(403, "拒绝访问：文件名不能含有“..”、“/”开头的绝对路径或盘符，只能是项目里的文件")
    base = folder.resolve()
    path = base
    for part in parts:
        path = path / part
        if path.is_symlink():
            raise Refused(403, "拒绝访问：这个文件是符号链接，编辑器不会跟随链接读写项目以外的文件")
    try:
        path.resolve(strict=True).relative_to(base)
    except (OSError, ValueError):
        raise Refused(404, "找不到这个文件") from None
    if not path.is_file():
        raise Refused(404, "找不到这个文件")
    return path


def check_project_file(project: Path, path: Path) -> Path:
    """The report file the server was started with: inside the project, not a link; its absolute path."""
    absolute = Path(path).absolute()
    try:
        relative = absolute.relative_to(project.resolve())
    except ValueError:
        raise Refused(403, f"报告文件必须在项目文件夹 {project} 里面") from None
    return inside(project.resolve(), relative.as_posix())


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes before reading them."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise Refused(413, f"上传的内容太大（上限 {limit // 1024 // 1024 or 1} MB）")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(413, f"上传的内容太大（上限 {limit // 1024 // 1024 or 1} MB）")
    return bytes(body)


async def read_json(request: Request, limit: int) -> dict:
    raw = await read_limited(request, limit)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "请求的内容无法读取") from None
    if not isinstance(data, dict):
        raise Refused(400, "请求的内容无法读取")
    return data
