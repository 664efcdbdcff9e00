"""The editor as a server, through an HTTP client (Starlette's TestClient): security, conflicts, edits, import.

Every test works on a copy of a report in a temporary project folder, never on source/.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from conftest import SAMPLE, SOURCE
from tujie import sheets
from tujie.editor import draft, form, guard
from tujie.editor.app import create_app
from tujie.model import Report
from tujie.yamlio import load_yaml

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
FIGURE = ["sections", 0, "blocks", 0, "figures", "grain_2024", "value"]


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "source").mkdir()
    shutil.copyfile(SAMPLE, tmp_path / "source" / SAMPLE.name)
    return tmp_path


@pytest.fixture
def client(project):
    app = create_app(project / "source" / SAMPLE.name, project, port=PORT, preview=False)
    with TestClient(app, base_url=ORIGIN) as c:
        yield c


def _state(client) -> dict:
    page = client.get("/")
    assert page.status_code == 200
    found = re.search(r'<script id="state" type="application/json">(.*?)</script>', page.text, re.S)
    return json.loads(found[1])


def _changed_lines(old: str, new: str) -> list[str]:
    return [l for l in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
            if not l.startswith(("---", "+++", "@@"))]


# ---------------------------------------------------------------- binding


def test_serve_binds_loopback_by_default_and_warns_for_every_interface(project, monkeypatch, capsys):
    import uvicorn

    import tujie.commands  # noqa: F401  (registers serve)
    from tujie.cli import COMMANDS, _new_parser
    from tujie.editor.serve import serve

    asked = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: asked.append((host, port)))
    source = project / "source" / SAMPLE.name
    assert serve(source, port=0, project=project) == 0
    out = capsys.readouterr()
    assert asked[-1][0] == "127.0.0.1" and "http://127.0.0.1:0/" in out.out and "警告" not in out.err
    assert serve(source, host="0.0.0.0", port=0, project=project) == 0
    out = capsys.readouterr()
    assert asked[-1][0] == "0.0.0.0" and "警告" in out.err and "0.0.0.0" in out.err
    # the command line's default is loopback too
    parser = _new_parser("render.py serve", "")
    COMMANDS["serve"][1].arguments(parser)
    assert parser.parse_args([str(source)]).host == "127.0.0.1"


def test_report_outside_the_project_or_a_link_is_refused(project, tmp_path_factory, capsys):
    from tujie.editor.serve import serve

    elsewhere = tmp_path_factory.mktemp("elsewhere") / "x.yaml"
    shutil.copyfile(SAMPLE, elsewhere)
    assert serve(elsewhere, port=0, project=project) == 2
    assert "必须在项目文件夹" in capsys.readouterr().err
    link = project / "source" / "link.yaml"
    link.symlink_to(elsewhere)
    with pytest.raises(guard.Refused, match="符号链接"):
        create_app(link, project, preview=False)


# ---------------------------------------------------------------- Host and Origin


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "attacker.127.0.0.1.nip.io:8765", ""])
def test_foreign_host_is_refused(client, host):
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 403
    assert "DNS 重绑定" in response.json()["error"]


def test_own_addresses_are_served(client):
    for host in (f"127.0.0.1:{PORT}", f"localhost:{PORT}"):
        assert client.get("/", headers={"Host": host}).status_code == 200


def test_page_cannot_be_framed_and_runs_only_its_own_script(client, project):
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert re.search(r"<script(?![^>]*(src=|application/json))", page.text) is None  # no inline script to allow
    assert " on" not in re.sub(r"<script.*?</script>", "", page.text, flags=re.S).split("<body", 1)[1].split(">")[0]
    _build_record(client, project, ["a-screen.pdf"])
    assert client.get("/download/a-screen.pdf").headers["content-security-policy"] == "sandbox"


def test_cross_site_post_is_refused_and_writes_nothing(client, project):
    source = project / "source" / SAMPLE.name
    before = source.read_bytes()
    state = _state(client)
    new = draft.set_value(source, state["draft"], tuple(FIGURE), 9.9)
    for headers in ({"Origin": "http://evil.example"}, {"Origin": f"http://127.0.0.1:{PORT + 1}"},
                    {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/api/save", json={"draft": new, "base": state["base"]}, headers=headers)
        assert response.status_code == 403, headers
        assert "跨站" in response.json()["error"]
    assert source.read_bytes() == before
    ok = client.post("/api/save", json={"draft": new, "base": state["base"]}, headers={"Origin": ORIGIN})
    assert ok.status_code == 200 and source.read_bytes() != before


# ---------------------------------------------------------------- files


def _build_record(client, project, names: list[str]):
    """Pretend a build made these files (the download list is what the last build made)."""
    editor = client.app.state.editor
    out = editor.out_dir
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        (out / name).write_bytes(b"%PDF-1.7 test")
    editor.build.allowed = set(names)


@pytest.mark.parametrize("url", [
    "/download/..%2f..%2fsource%2fsample-town-2025.yaml",
    "/download/%2e%2e/%2e%2e/source/sample-town-2025.yaml",
    "/download/%252e%252e%252fsecret.txt",
    "/download/%2fetc%2fpasswd",
    "/download//etc/passwd",
    "/download/..\\..\\secret.txt",
    "/download/C:%5cWindows%5cwin.ini",
])
def test_path_traversal_is_refused(client, project, url):
    (project / "secret.txt").write_text("secret", encoding="utf-8")
    _build_record(client, project, ["a-screen.pdf"])
    response = client.get(url)
    assert response.status_code in (403, 404)
    assert "secret" not in response.text and "report:" not in response.text
    assert response.json()["ok"] is False


def test_symlink_in_the_output_folder_is_refused(client, project):
    (project / "secret.txt").write_text("secret", encoding="utf-8")
    _build_record(client, project, ["a-screen.pdf"])
    link = client.app.state.editor.out_dir / "link.pdf"
    link.symlink_to(project / "secret.txt")
    client.app.state.editor.build.allowed.add("link.pdf")
    response = client.get("/download/link.pdf")
    assert response.status_code == 403 and "符号链接" in response.json()["error"]


def test_only_files_of_the_last_build_are_downloaded(client, project):
    _build_record(client, project, ["a-screen.pdf"])
    (client.app.state.editor.out_dir / "other.pdf").write_bytes(b"x")
    assert client.get("/download/a-screen.pdf").content == b"%PDF-1.7 test"
    assert client.get("/download/other.pdf").status_code == 404


def test_uploads_are_size_limited(client):
    state = _state(client)
    big = b"a" * (sheets.MAX_BYTES + 1)
    response = client.post(f"/api/import?name=x.csv&base={state['base']}", content=big)
    assert response.status_code == 413 and "太大" in response.json()["error"]
    # a body sent without a length is counted as it arrives
    response = client.post(f"/api/import?name=x.csv&base={state['base']}", content=iter([big[:6_000_000], big[6_000_000:]]))
    assert response.status_code == 413
    response = client.post("/api/edit", content=b"{" + b" " * (50 * 1024 * 1024) + b"}")
    assert response.status_code == 413


# ---------------------------------------------------------------- conflicts


def test_a_file_changed_on_disk_is_not_overwritten(client, project):
    source = project / "source" / SAMPLE.name
    state = _state(client)
    new = draft.set_value(source, state["draft"], tuple(FIGURE), 4.1)
    theirs = source.read_text(encoding="utf-8").replace("title: 政府工作报告", "title: 另一个窗口的修改")
    source.write_text(theirs, encoding="utf-8")
    for url in ("/api/changes", "/api/save"):
        response = client.post(url, json={"draft": new, "base": state["base"]})
        assert response.status_code == 409
        assert response.json()["conflict"] and "没有写入" in response.json()["error"]
    assert source.read_text(encoding="utf-8") == theirs
    assert not (source.parent / ".history").exists()


# ---------------------------------------------------------------- edits, validation, saving


def test_bad_value_gets_the_loaders_message_on_that_field(client, project):
    state = _state(client)
    answer = client.post("/api/edit", json={"draft": state["draft"], "path": FIGURE, "value": "1,100"}).json()
    assert not answer["valid"]
    [error] = answer["errors"]
    assert error["field"] == "sections[0].blocks[0].figures.grain_2024.value"
    assert "应为数字" in error["message"] and "千位分隔符" in error["message"]
    fixed = client.post("/api/edit", json={"draft": answer["draft"], "path": FIGURE, "value": "3.3"}).json()
    assert fixed["valid"] and fixed["errors"] == [] and fixed["chips"]["grain_2024"] == "3.3万吨"
    assert _changed_lines(state["draft"], fixed["draft"]) == [
        "-          grain_2024: {value: 3.2, unit: 万吨, label: 粮食产量, qualifier: 达到, year: 2024}",
        "+          grain_2024: {value: 3.3, unit: 万吨, label: 粮食产量, qualifier: 达到, year: 2024}"]


def test_save_shows_the_diff_then_writes_atomically_with_a_backup(client, project):
    source = project / "source" / SAMPLE.name
    original = source.read_text(encoding="utf-8")
    state = _state(client)
    new = client.post("/api/edit", json={"draft": state["draft"], "path": FIGURE, "value": "3.4"}).json()["draft"]
    changes = client.post("/api/changes", json={"draft": new, "base": state["base"]}).json()
    assert changes["summary"].startswith("共 1 处变化") and "3.2万吨 → 3.4万吨" in changes["changes"][0]
    saved = client.post("/api/save", json={"draft": new, "base": state["base"]}).json()
    assert saved["ok"] and source.read_text(encoding="utf-8") == new
    backup = project / saved["backup"]
    assert backup.parent.name == ".history" and backup.read_text(encoding="utf-8") == original
    # the page's old base no longer matches: a second tab saving over it is a conflict
    again = client.post("/api/save", json={"draft": original, "base": state["base"]})
    assert again.status_code == 409 and source.read_text(encoding="utf-8") == new
    # an invalid draft is never written
    bad = draft.set_value(source, new, tuple(FIGURE), "很多")
    refused = client.post("/api/save", json={"draft": bad, "base": saved["base"]})
    assert refused.status_code == 422 and source.read_text(encoding="utf-8") == new


def test_revision_helper_bumps_label_and_date(client):
    state = _state(client)
    answer = client.post("/api/revision", json={"draft": state["draft"]}).json()
    assert _changed_lines(state["draft"], answer["draft"]) == [
        "-    label: demo1", "-    date: 2026-11-29", "+    label: demo2", f"+    date: {dt.date.today().isoformat()}"]
    assert 'value="demo2"' in answer["form"]


def test_list_operations_move_copy_and_remove_whole_entries(client, project):
    state = _state(client)
    text = state["draft"]
    path = ["sections", 0, "blocks", 1, "themes", 0, "items", 0]
    moved = client.post("/api/list", json={"draft": text, "path": path, "op": "down"}).json()
    old, new = load_yaml_text(text), load_yaml_text(moved["draft"])
    items = lambda d: d["sections"][0]["blocks"][1]["themes"][0]["items"]
    assert items(new) == [items(old)[1], items(old)[0]] and moved["valid"]
    copied = client.post("/api/list", json={"draft": text, "path": path, "op": "copy"}).json()
    assert copied["valid"], copied["errors"]  # the copy's figures get new ids, its text follows them
    copy = items(load_yaml_text(copied["draft"]))[1]
    assert set(copy["figures"]) == {"farmland_2024_2", "family_farms_2024_2"} and "{farmland_2024_2}" in copy["text"]
    removed = client.post("/api/list", json={"draft": text, "path": path, "op": "remove"}).json()
    assert len(items(load_yaml_text(removed["draft"]))) == 1
    # only the entry's own lines changed, comments untouched
    assert all(l.startswith("#") is False for l in _changed_lines(text, removed["draft"]))
    flow = client.post("/api/list", json={"draft": text, "path": ["report", "keywords", 0], "op": "down"}).json()
    assert load_yaml_text(flow["draft"])["report"]["keywords"] == ["乡镇", "示例数据", "政府工作报告"]
    assert len(_changed_lines(text, flow["draft"])) == 2


def test_a_copied_section_gets_its_own_id_and_figure_ids(client):
    text = _state(client)["draft"]
    old = load_yaml_text(text)["sections"]
    copied = client.post("/api/list", json={"draft": text, "path": ["sections", 0], "op": "copy"}).json()
    assert copied["valid"], copied["errors"]
    new = load_yaml_text(copied["draft"])["sections"]
    assert len(new) == len(old) + 1 and new[0] == old[0] and new[2:] == old[1:]
    copy = new[1]
    assert copy["id"] == f"{old[0]['id']}-2"
    first = copy["blocks"][0]
    assert set(first["figures"]) == {f"{fid}_2" for fid in old[0]["blocks"][0]["figures"]}
    assert "{grain_2024_2}" in first["text"] and "{grain_2024}" not in first["text"]
    # copied twice: the next free number
    again = client.post("/api/list", json={"draft": copied["draft"], "path": ["sections", 0], "op": "copy"}).json()
    assert again["valid"], again["errors"]
    assert load_yaml_text(again["draft"])["sections"][1]["id"] == f"{old[0]['id']}-3"


def load_yaml_text(text: str) -> dict:
    from tujie.yamlio import parse_yaml

    return parse_yaml(text, "x")[0]


# ---------------------------------------------------------------- the form


@pytest.mark.parametrize("report", sorted(SOURCE.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_form_has_a_field_for_every_value_of_every_figure_and_block(report):
    data, _ = load_yaml(report)
    model = Report.model_validate(data)
    tree = form.build_form(data)
    names = set()

    def collect(node):
        names.add(node.name)
        for child in getattr(node, "children", []):
            collect(child)

    collect(tree)
    for fid, figure in model.figures().items():
        path = next(p for p in _paths(data) if p[-1] == fid and p[-2] == "figures")
        for field in ("value", "unit", "qualifier", "label", "year"):
            node = form.find(tree, path + (field,))
            assert isinstance(node, form.Field) and not node.readonly, (fid, field)
        assert form.find(tree, path + ("value",)).kind == "number"
    for s, section in enumerate(data["sections"]):
        for b, block in enumerate(section["blocks"]):
            assert f"sections[{s}].blocks[{b}]" in names
    # every scalar in the file has its input
    scalars = [p for p in _paths(data) if not isinstance(_get(data, p), (dict, list))]
    missing = [p for p in scalars if not isinstance(form.find(tree, p), form.Field)]
    assert missing == []
    # texts with placeholders are chips, not braces
    rich = form.find(tree, ("sections", 0, "blocks", 0, "text"))
    if rich is not None and "{" in str(rich.value):
        assert rich.kind == "rich" and rich.chips


def _paths(value, path=()):
    if path:
        yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _get(data, path):
    for key in path:
        data = data[key]
    return data


def test_a_new_block_type_appears_in_the_form_without_editor_code(monkeypatch):
    from typing import ClassVar, Literal

    from tujie import model

    class GaugeBlock(model.Block):
        type: Literal["gauge"]
        noun: ClassVar[str] = "仪表"
        title: str
        figures: dict[str, model.Figure]

    monkeypatch.setitem(model.BLOCK_TYPES, "gauge", GaugeBlock)
    data = {"sections": [{"id": "a", "title": "甲", "blocks": [
        {"type": "gauge", "title": "完成度", "figures": {"done": {"value": 80, "unit": "%", "label": "完成"}}}]}]}
    tree = form.build_form(data)
    assert form.find(tree, ("sections", 0, "blocks", 0)).label == "仪表：完成度"
    assert form.find(tree, ("sections", 0, "blocks", 0, "figures", "done", "value")).kind == "number"


# ---------------------------------------------------------------- spreadsheet import in the editor


def _sheet(project, edit) -> bytes:
    target = project / "figures.csv"
    sheets.export_figures(project / "source" / SAMPLE.name, target)
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    edit(rows)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _row(rows, fid):
    return next(r for r in rows if r[0] == fid)


def test_import_lists_changes_then_writes_on_confirm(client, project):
    source = project / "source" / SAMPLE.name
    original = source.read_text(encoding="utf-8")
    state = _state(client)
    raw = _sheet(project, lambda rows: _row(rows, "grain_2024").__setitem__(3, "3.5"))
    plan = client.post(f"/api/import?name=数据.csv&base={state['base']}", content=raw).json()
    assert plan["ok"] and len(plan["changes"]) == 1 and "3.2万吨 → 3.5万吨" in plan["changes"][0]
    assert source.read_text(encoding="utf-8") == original  # nothing written before confirming
    done = client.post("/api/import/confirm", json={"token": plan["token"]}).json()
    assert done["ok"] and "已导入 1 处" in done["message"]
    assert len(_changed_lines(original, source.read_text(encoding="utf-8"))) == 2


def test_import_of_a_unit_change_needs_confirming(client, project):
    source = project / "source" / SAMPLE.name
    original = source.read_text(encoding="utf-8")
    state = _state(client)
    raw = _sheet(project, lambda rows: _row(rows, "grain_2024").__setitem__(4, "吨"))
    plan = client.post(f"/api/import?name=数据.csv&base={state['base']}", content=raw).json()
    assert plan["units"] and "万吨 → 吨" in plan["units"][0]
    refused = client.post("/api/import/confirm", json={"token": plan["token"]})
    assert refused.status_code == 422 and "单位" in refused.json()["error"]
    assert source.read_text(encoding="utf-8") == original
    assert client.post("/api/import/confirm", json={"token": plan["token"], "units": True}).json()["ok"]
    assert "unit: 吨" in source.read_text(encoding="utf-8")


def test_bad_sheet_gets_located_messages_and_writes_nothing(client, project):
    source = project / "source" / SAMPLE.name
    original = source.read_text(encoding="utf-8")
    state = _state(client)
    raw = _sheet(project, lambda rows: (_row(rows, "grain_2024").__setitem__(3, "三点二"),
                                        _row(rows, "roads_2024").__setitem__(0, "roads_2042")))
    response = client.post(f"/api/import?name=数据.csv&base={state['base']}", content=raw)
    assert response.status_code == 422
    message = response.json()["error"]
    assert "数据.csv" in message and "行" in message and "roads_2042" in message
    assert source.read_text(encoding="utf-8") == original
    wrong = client.post(f"/api/import?name=数据.txt&base={state['base']}", content=b"x")
    assert wrong.status_code == 400
