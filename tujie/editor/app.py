"""The editor's routes: one report file, one page, small JSON calls.

In: the report file (inside the project folder) and where to write output.
Out: a Starlette app. ``GET /`` is the whole editor (the form rendered on
the server); the page then posts each edit with the draft text and gets
back the new draft and the loader's errors (``/api/edit``, ``/api/list``,
``/api/revision``), polls the preview, shows the diff before saving
(``/api/changes``), saves (``/api/save``, refused on a conflict), builds
every edition (``/api/build``) and imports a spreadsheet
(``/api/import``). Downloads are served only from the report's output
folder, and only files its last build made.
"""

from __future__ import annotations

import contextlib
import difflib
import multiprocessing
import secrets
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import diff, sheets, yamlio
from ..build import Paths
from ..errors import ReportError
from ..model import PLACEHOLDER
from ..registry import DEFAULT, EDITIONS
from ..yamledit import FileChanged, YamlDocument
from . import draft as drafts
from . import form as forms
from .guard import HostGuard, Refused, allowed_hosts, check_project_file, inside, read_json, read_limited, refusal
from .preview import Previewer, run_build

HERE = Path(__file__).parent
DRAFT_LIMIT = yamlio.MAX_BYTES * 2 + 64 * 1024  # a draft travels as JSON: escapes may double it
UPLOAD_LIMIT = sheets.MAX_BYTES
EDITOR_FONTS = ("NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf")


@dataclass
class BuildJob:
    """The build button's job: all editions of the saved file."""

    state: str = "idle"  # idle, running, done, failed
    started: float = 0.0
    seconds: float | None = None
    error: str | None = None
    files: list = field(default_factory=list)  # (edition, title, file name) of the main files
    allowed: set = field(default_factory=set)  # every file name the build made: what /download serves
    editions: tuple = DEFAULT


class Editor:
    """Everything one running editor knows: the report, its output folders, its workers."""

    def __init__(self, source: Path, project: Path, output: Path, preview: bool = True):
        self.project = project.resolve()
        self.source = check_project_file(self.project, source)
        self.output = output
        self.fonts = Paths().fonts
        self.out_dir = output / self.source.stem
        self.previewer = Previewer(self.source, output / ".editor" / self.source.stem) if preview else None
        self.build = BuildJob()
        self.imports: dict[str, sheets.ImportPlan] = {}
        self._build_lock = threading.Lock()
        self._builder: ProcessPoolExecutor | None = None
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(default=True, default_for_string=True))
        self.templates.globals["segments"] = segments

    @property
    def name(self) -> str:
        return self.source.relative_to(self.project).as_posix()

    def read(self) -> YamlDocument:
        return YamlDocument.read(self.source)

    def form_html(self, text: str) -> str:
        data = drafts.document(self.source, text).data
        return self.templates.get_template("form.html.j2").render(form=forms.build_form(data))

    def builder(self) -> ProcessPoolExecutor:
        """The build button's worker: a process of its own, so neither the server nor the preview waits."""
        with self._build_lock:
            if self._builder is None:
                self._builder = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            return self._builder

    def close_builder(self) -> None:
        with self._build_lock:
            if self._builder is not None:
                self._builder.shutdown(wait=False, cancel_futures=True)
                self._builder = None

    def close(self) -> None:
        if self.previewer:
            self.previewer.close()
        self.close_builder()


def segments(text: str) -> list[tuple[str, bool]]:
    """Rich text as (text, False) and (figure id, True) pieces, for the chips."""
    out, pos = [], 0
    for match in PLACEHOLDER.finditer(text or ""):
        if match.start() > pos:
            out.append((text[pos: match.start()], False))
        out.append((match.group(1), True))
        pos = match.end()
    if pos < len(text or ""):
        out.append((text[pos:], False))
    return out


def create_app(source: Path, project: Path, output: Path | None = None, host: str = "127.0.0.1",
               port: int = 8765, preview: bool = True) -> Starlette:
    """The editor for ``source`` (which must be inside ``project``)."""
    editor = Editor(source, project, output or project / "output", preview)

    def api(handler):
        async def wrapped(request: Request):
            try:
                return await handler(request)
            except Refused as exc:
                return refusal(exc.status, exc.message)
            except ReportError as exc:
                return JSONResponse({"ok": False, "error": str(exc)}, status_code=422)
        return wrapped

    async def page(request: Request):
        doc = editor.read()
        checked = drafts.check(doc.text, editor.source)
        if checked.report is not None and editor.previewer:
            editor.previewer.submit(doc.text)
        html = editor.templates.get_template("editor.html.j2").render(
            name=editor.name, form=editor.form_html(doc.text), draft=doc.text, base=doc.digest,
            errors=checked.as_json(), editions=[(k, EDITIONS[k].title.strip()) for k in DEFAULT])
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def edit(request: Request):
        body = await read_json(request, DRAFT_LIMIT)
        text, path = _text(body), _path(body)
        doc = drafts.document(editor.source, text)
        target = forms.find(forms.build_form(doc.data), path)
        if not isinstance(target, forms.Field) or target.readonly:
            raise Refused(400, "表单里没有这个字段")
        value = forms.to_value(target, str(body.get("value", "")))
        new = doc.updated({path: value}) if value is not None or _has(doc.data, path) else text
        return _answer(new)

    async def list_op(request: Request):
        body = await read_json(request, DRAFT_LIMIT)
        new = drafts.list_operation(editor.source, _text(body), _path(body), str(body.get("op")))
        return _answer(new, with_form=True)

    async def revision(request: Request):
        body = await read_json(request, DRAFT_LIMIT)
        return _answer(drafts.bump_revision(editor.source, _text(body)), with_form=True)

    def _answer(text: str, with_form: bool = False) -> JSONResponse:
        checked = drafts.check(text, editor.source)
        if checked.report is not None and editor.previewer:
            editor.previewer.submit(text)
        answer = {"ok": True, "draft": text, "valid": checked.report is not None, "errors": checked.as_json(),
                  "chips": _chips(checked)}
        if with_form:
            answer["form"] = editor.form_html(text)
        return JSONResponse(answer)

    async def preview_state(request: Request):
        if not editor.previewer:
            return JSONResponse({"version": 0, "pages": 0, "changed": [], "building": False, "error": None})
        state = editor.previewer.state
        return JSONResponse({"version": state.version, "pages": len(state.pages), "changed": state.changed,
                             "building": state.building, "error": state.error, "seconds": state.seconds})

    async def preview_png(request: Request):
        if not editor.previewer:
            raise Refused(404, "没有预览")
        version, number = request.path_params["version"], request.path_params["page"]
        png = editor.previewer.page(version, number, large=request.query_params.get("large") == "1")
        if png is None:
            raise Refused(404, "这一页的预览已经过期，请刷新")
        return FileResponse(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def changes(request: Request):
        body = await read_json(request, DRAFT_LIMIT)
        doc, text = _unchanged_since(body), _text(body)
        checked = drafts.check(text, editor.source)
        if checked.report is None:
            return JSONResponse({"ok": False, "error": "数据还有错误，改正后才能保存", "errors": checked.as_json()},
                                status_code=422)
        old = drafts.check(doc.text, editor.source).report
        found = diff.compare(old, checked.report) if old is not None else []
        return JSONResponse({"ok": True, "summary": diff.summary(found), "changes": [c.describe() for c in found],
                             "lines": _unified(doc.text, text)})

    async def save(request: Request):
        body = await read_json(request, DRAFT_LIMIT)
        doc, text = _unchanged_since(body), _text(body)
        checked = drafts.check(text, editor.source)
        if checked.report is None:
            return JSONResponse({"ok": False, "error": "数据还有错误，改正后才能保存", "errors": checked.as_json()},
                                status_code=422)
        if text == doc.text:
            return JSONResponse({"ok": True, "base": doc.digest, "backup": None, "message": "没有修改，不需要保存"})
        try:
            backup = doc.write(text)
        except FileChanged as exc:
            return _conflict(str(exc))
        return JSONResponse({"ok": True, "base": doc.digest, "backup": backup.relative_to(editor.project).as_posix(),
                             "message": f"已保存（原文件备份在 {backup.relative_to(editor.project).as_posix()}）"})

    def _unchanged_since(body: dict) -> YamlDocument:
        doc = editor.read()
        if body.get("base") != doc.digest:
            raise _Conflict()
        return doc

    async def start_build(request: Request):
        body = await read_json(request, DRAFT_LIMIT)
        doc = _unchanged_since(body)
        if _text(body) != doc.text:
            raise Refused(409, "有未保存的修改：请先保存，再生成全部版本")
        with editor._build_lock:
            if editor.build.state == "running":
                raise Refused(409, "正在生成，请稍候")
            editor.build = BuildJob(state="running", started=time.time())
        threading.Thread(target=_run_full_build, args=(editor,), daemon=True).start()
        return JSONResponse({"ok": True})

    async def build_state(request: Request):
        job = editor.build
        elapsed = (time.time() - job.started) if job.state == "running" else job.seconds
        return JSONResponse({"state": job.state, "seconds": round(elapsed or 0, 1), "error": job.error,
                             "editions": [EDITIONS[e].title.strip() for e in job.editions],
                             "files": [{"edition": e, "title": t, "name": n, "url": f"/download/{n}",
                                        "folder": _folder_edition(n, editor)} for e, t, n in job.files]})

    async def download(request: Request):
        name = request.path_params["name"]
        path = inside(editor.out_dir, name)  # refuses .., %2e%2e, absolute paths, links
        if path.relative_to(editor.out_dir.resolve()).as_posix() not in editor.build.allowed:
            raise Refused(404, "只能下载这次生成的文件")
        return FileResponse(path, filename=path.name)

    async def import_sheet(request: Request):
        filename = request.query_params.get("name", "")
        if not filename.lower().endswith((".xlsx", ".csv")):
            raise Refused(400, "只能导入 .xlsx 或 .csv 表格")
        raw = await read_limited(request, UPLOAD_LIMIT)
        doc = editor.read()
        if request.query_params.get("base") != doc.digest:
            raise _Conflict()
        if request.query_params.get("dirty") == "1":
            raise Refused(409, "有未保存的修改：请先保存（或刷新页面放弃修改），再导入表格")
        sheet = sheets.sheet_from_bytes(raw, Path(filename).name)
        plan = sheets.plan_import(sheet, editor.source, doc)
        token = secrets.token_urlsafe(16)
        editor.imports = {token: plan}  # only the newest upload can be confirmed
        return JSONResponse({"ok": True, "token": token, "summary": diff.summary(plan.changes),
                             "changes": [c.describe() for c in plan.changes],
                             "units": [u.describe() for u in plan.unit_changes], "lines": _unified(doc.text, plan.text)})

    async def confirm_import(request: Request):
        body = await read_json(request, 64 * 1024)
        plan = editor.imports.get(str(body.get("token")))
        if plan is None:
            raise Refused(404, "找不到这次导入，请重新上传表格")
        if plan.unit_changes and body.get("units") is not True:
            raise Refused(422, "表格改动了单位：" + "；".join(u.describe() for u in plan.unit_changes)
                          + "。改单位会改变数字的含义，请勾选确认后再导入")
        if not plan.changes and plan.text == plan.document.text:
            return JSONResponse({"ok": True, "message": "表格里的数字和报告一致，没有需要导入的改动"})
        try:
            backup = sheets.apply_import(plan)
        except FileChanged as exc:
            return _conflict(str(exc))
        editor.imports.clear()
        return JSONResponse({"ok": True, "message": f"已导入 {len(plan.changes)} 处改动（原文件备份在 "
                                                      f"{backup.relative_to(editor.project).as_posix()}）"})

    async def font(request: Request):
        # the bundled fonts, so the page reads the same on a machine without Chinese system fonts
        name = request.path_params["name"]
        if name not in EDITOR_FONTS:
            raise Refused(404, "找不到这个文件")
        return FileResponse(inside(editor.fonts, name), media_type="font/otf",
                            headers={"Cache-Control": "max-age=86400"})

    async def conflict_handler(request: Request, exc: Exception):
        return _conflict("文件在打开编辑器之后被修改过（可能是另一个窗口、编辑器或 git pull），为了不覆盖那些修改，"
                         "这次没有写入；请刷新页面重新载入后再改")

    routes = [
        Route("/", page),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # no icon, and no 404 in the console
        Route("/api/edit", api(edit), methods=["POST"]),
        Route("/api/list", api(list_op), methods=["POST"]),
        Route("/api/revision", api(revision), methods=["POST"]),
        Route("/api/preview", api(preview_state)),
        Route("/preview/{version:int}/{page:int}.png", api(preview_png)),
        Route("/api/changes", api(changes), methods=["POST"]),
        Route("/api/save", api(save), methods=["POST"]),
        Route("/api/build", api(start_build), methods=["POST"]),
        Route("/api/build", api(build_state), methods=["GET"]),
        Route("/download/{name:path}", api(download)),
        Route("/api/import", api(import_sheet), methods=["POST"]),
        Route("/api/import/confirm", api(confirm_import), methods=["POST"]),
        Route("/fonts/{name}", api(font)),
        Mount("/static", StaticFiles(directory=HERE / "static")),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        editor.close()

    app = Starlette(routes=routes, exception_handlers={_Conflict: conflict_handler}, lifespan=lifespan)
    app.state.editor = editor
    guarded = HostGuard(app, allowed_hosts(host, port))
    guarded.state = app.state
    return guarded


class _Conflict(Exception):
    """The file on disk is not the one the page was loaded from."""


def _conflict(message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "conflict": True, "error": message}, status_code=409)


def _run_full_build(editor: Editor) -> None:
    job = editor.build
    try:
        built = editor.builder().submit(run_build, editor.source, editor.output, job.editions).result()
    except Exception as exc:  # the worker died (out of memory, killed): say so; the next build starts a new one
        editor.close_builder()
        built = {"error": f"生成失败（程序内部错误：{exc}），上一次生成的文件没有改动"}
    job.seconds = time.time() - job.started
    if "error" in built:
        job.error, job.state = built["error"], "failed"
        return
    root = editor.out_dir.resolve()
    names = set()
    for paths in built["outputs"].values():
        for p in paths:
            try:
                names.add(Path(p).resolve().relative_to(root).as_posix())
            except ValueError:
                pass
    job.allowed = names
    job.files = [(e, EDITIONS[e].title.strip(), Path(p).resolve().relative_to(root).as_posix())
                 for e, p in built["files"].items()]
    job.state = "done"


def _folder_edition(name: str, editor: Editor) -> str | None:
    """A file that only works with its folder (the web edition's index.html): that folder, to copy whole."""
    if "/" not in name:
        return None
    return (editor.out_dir / name).parent.relative_to(editor.project).as_posix() + "/"


def _text(body: dict) -> str:
    text = body.get("draft")
    if not isinstance(text, str):
        raise Refused(400, "请求里缺少报告内容")
    return text


def _path(body: dict) -> tuple:
    path = body.get("path")
    if not isinstance(path, list) or not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in path):
        raise Refused(400, "请求里的字段位置无法读取")
    return tuple(path)


def _has(data, path: tuple) -> bool:
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return False
    return True


def _chips(checked: drafts.Checked) -> dict:
    if checked.report is None:
        return {}
    return {fid: f"{f.display}{f.unit}" for fid, f in checked.report.figures().items()}


def _unified(old: str, new: str) -> list[str]:
    return [line.rstrip("\n") for line in difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                                 "修改前", "修改后", n=1)]
