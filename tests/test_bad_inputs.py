"""Issue 5: bad input gets a clear error, never a broken booklet.

For every file in ``tests/bad/`` (one thing wrong each; the header says what
the message must contain and which line and field it must name) the CLI must
exit non-zero with that Chinese message, and the last good booklet in the
output folder must stay byte-for-byte the same. The other tests cover what a
file cannot show: markup that must print literally, resources from outside
the project, overflow let through on request, interruption, killing, two
builds at once, and the page and time limits.

Real builds are few (each costs seconds): the default report once per session
as the "last good booklet", and small reports elsewhere. Corpus cases that
fail at load time take milliseconds.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest

from conftest import DEFAULT, pdf_text, squash
from tujie import limits
from tujie.build import PROJECT, Paths, build_report
from tujie.cli import main
from tujie.errors import ReportError
from tujie.load import load_report

BAD = Path(__file__).parent / "bad"
CORPUS = sorted(BAD.glob("*.yaml"))
NAME = DEFAULT.name  # every bad file is tried under the good report's name, so it targets the same folder
TINY = BAD / "make_corpus.py"  # holds BASE, the small valid report every bad file was made from


# ---------------------------------------------------------------- helpers


@dataclass
class Case:
    path: Path
    situation: str
    expect: list[str]
    field: str | None
    line: int | None


def read_case(path: Path) -> Case:
    """The expectations written in a corpus file's header (in the file's own encoding)."""
    raw = path.read_bytes()
    for encoding in ("utf-8", "utf-16", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    header = {}
    for row in text.splitlines():
        if not row.startswith("# ") or "：" not in row:
            break
        key, value = row[2:].split("：", 1)
        header[key] = value
    return Case(path, header["情形"], header["期望"].split("；"), header.get("字段"),
                int(header["行"]) if "行" in header else None)


def tiny_report() -> str:
    """The small valid report the corpus is made from."""
    namespace: dict = {"__file__": str(TINY), "__name__": "make_corpus"}
    exec(compile(TINY.read_text(encoding="utf-8"), str(TINY), "exec"), namespace)
    return namespace["BASE"]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes.

    Left out: the lock file (empty, only ever created), the content-keyed
    cache in ``.cache/`` (a failed build may still have drawn a chart) and
    staging folders (checked separately with :func:`stages`).
    """
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != limits.LOCK_NAME and p.relative_to(folder).parts[0] != ".cache"
            and not any(part.startswith(limits.STAGING_PREFIX) for part in p.relative_to(folder).parts)}


def stages(folder: Path) -> list[Path]:
    return list(folder.rglob(limits.STAGING_PREFIX + "*"))


def cli(args: list[str], capsys) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


@pytest.fixture(scope="session")
def good_output(tmp_path_factory) -> Path:
    """The last good booklet: the default report's screen edition, built once per session."""
    out = tmp_path_factory.mktemp("good")
    build_report(DEFAULT, Paths(output=out), editions=("screen",))
    return out


@pytest.fixture
def untouched(good_output):
    """The good output folder; after the test it must be byte-for-byte as before, with no stage left."""
    before = snapshot(good_output)
    assert any(name.endswith(".pdf") for name in before)
    yield good_output
    assert snapshot(good_output) == before, "a failed build changed the last good output"
    assert not stages(good_output), "a failed build left a staging folder behind"


@pytest.fixture
def tiny(tmp_path) -> Path:
    """A small valid report under the default report's name.

    Each test gets its own revision label, so its build has parts to lay out
    (the cover and back cover show the label) instead of finding them all in
    the part cache that builds into the shared good output folder leave.
    """
    import zlib

    path = tmp_path / "src" / NAME
    path.parent.mkdir()
    label = f"t{zlib.crc32(str(tmp_path).encode())}"
    path.write_text(tiny_report().replace("label: t1,", f"label: {label},"), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the corpus


def test_corpus_covers_every_kind_of_bad_input():
    kinds = {path.name.split("-")[0] for path in CORPUS}
    assert len(CORPUS) >= 30
    assert kinds >= {"yaml", "schema", "font", "limit", "layout"}
    for path in CORPUS:
        case = read_case(path)
        assert case.situation and case.expect, path.name


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_input_is_refused_with_a_located_message(path, untouched, tmp_path, capsys):
    case = read_case(path)
    source = tmp_path / NAME
    shutil.copyfile(path, source)
    code, err = cli([source, "-o", untouched, "-e", "screen"], capsys)
    assert code == 1, f"{case.situation}: the build did not fail\n{err}"
    assert "生成失败" in err and "上一次生成的文件没有改动" in err
    assert "Traceback" not in err and "程序内部错误" not in err, err
    assert f"文件 {source}" in err, err
    for word in case.expect:
        assert word in err, f"{case.situation}: “{word}” missing from\n{err}"
    if case.line:
        assert f"第 {case.line} 行" in err, f"{case.situation}: line {case.line} not named\n{err}"
    if case.field:
        assert f"字段 {case.field}" in err, f"{case.situation}: field {case.field} not named\n{err}"


@pytest.mark.parametrize("old, new, field, words", [
    ("id: review", "id: work_review", "sections[0].id", ["work_review", "连字符"]),
    ("gdp: {value", "gdp-2025: {value", "sections[0].blocks[0].figures.gdp-2025", ["下划线"]),
    ("label: t1", "label: 第1版", "report.revision.label", ["第1版", "英文字母"]),
])
def test_a_value_of_the_wrong_form_is_told_what_form_is_wanted(tmp_path, old, new, field, words):
    source = write(tmp_path, tiny_report().replace(old, new, 1))
    with pytest.raises(ReportError) as caught:
        load_report(source)
    assert caught.value.field == field
    for word in words:
        assert word in caught.value.message, caught.value.message


# ---------------------------------------------------------------- reading files


def write(tmp_path: Path, data: bytes | str, name: str = NAME) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_utf8_with_bom_loads_like_without(tmp_path):
    plain = load_report(write(tmp_path, DEFAULT.read_bytes(), "a.yaml"))
    with_bom = load_report(write(tmp_path, b"\xef\xbb\xbf" + DEFAULT.read_bytes(), "b.yaml"))
    assert with_bom == plain


@pytest.mark.parametrize("text", ["no", "yes", "on", "off", "010", "1e3", "0x1F", "1_000", "12:30", "null_"])
def test_yaml11_lookalikes_stay_text_where_text_belongs(tmp_path, text):
    report = load_report(write(tmp_path, tiny_report().replace("title: 工作回顾", f"title: {text}")))
    assert report.sections[0].title == text


def test_many_megabytes_are_refused_at_once(tmp_path):
    """A 5 MB file (say, a video renamed .yaml) is refused by size, before it is read in full."""
    path = write(tmp_path, tiny_report() + "# " + "长" * (5 * 1024 * 1024 // 3) + "\n")
    started = time.perf_counter()
    with pytest.raises(ReportError) as info:
        load_report(path)
    took = time.perf_counter() - started
    assert "文件太大" in str(info.value) and "5.0 MB" in str(info.value)
    assert took < 0.5, f"took {took:.2f} s"


def test_just_under_the_size_limit_is_still_quick(tmp_path):
    """The worst file under the limit: a list of tiny items is stopped by the item count, not parsed for seconds."""
    items = ", ".join(["x"] * (limits_bytes() // 3 - 100))
    path = write(tmp_path, f"report: [{items}]\n")
    started = time.perf_counter()
    with pytest.raises(ReportError) as info:
        load_report(path)
    assert "数据项太多" in str(info.value)
    assert time.perf_counter() - started < 60  # stopped, not run to the end (a full build of this report is far longer under the limit's ring)


def limits_bytes() -> int:
    from tujie.yamlio import MAX_BYTES

    return MAX_BYTES


def test_alias_bomb_is_refused(tmp_path):
    # refused while composing (the message names the aliases), not after expanding a billion nodes;
    # no time is asserted: the machine's load is not the loader's fault (bench/ measures speed)
    with pytest.raises(ReportError) as info:
        load_report(BAD / "yaml-alias-bomb.yaml")
    assert "别名" in str(info.value)


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.mkdir", "!!python/object/new:os.mkdir",
                                 "!!python/object:os.mkdir", "!!python/module:os", "!!set", "!!omap",
                                 "!!binary", "!!pairs", "!!python/tuple", "!custom"])
def test_no_tag_constructs_anything(tmp_path, tag):
    target = tmp_path / "pwned"
    path = write(tmp_path, f"report: {tag} [{target}]\nsections: []\n")
    with pytest.raises(ReportError) as info:
        load_report(path)
    assert "标签" in str(info.value) and not target.exists()


# ---------------------------------------------------------------- markup and resources


MARKUP = {
    "title: 工作回顾": "title: \"<script>alert('x')</script> 工作回顾\"",
    "text: 全年": "text: \"</div></section><img src=x onerror=alert(1)> {{ 7*7 }} {% include 'x' %} 全年",
    "。\n        figures:": "<style>body{display:none}</style>\"\n        figures:",
    "alt: 地区生产总值12.5亿元。": "alt: \"<b>粗体？</b> 地区生产总值12.5亿元。\"",
}


def test_markup_in_the_data_prints_literally(tmp_path):
    text = tiny_report()
    for old, new in MARKUP.items():
        assert old in text
        text = text.replace(old, new, 1)
    source = write(tmp_path, text)
    result = build_report(source, Paths(output=tmp_path / "out"), editions=("screen",))
    printed = squash(pdf_text(result.pdf))
    for literal in ["<script>alert('x')</script>工作回顾", "</div></section><imgsrc=xonerror=alert(1)>",
                    "{{7*7}}", "{%include'x'%}", "<style>body{display:none}</style>"]:
        assert squash(literal) in printed, literal
    assert "49" not in printed  # the template expression was not evaluated
    html = result.html.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in html and "<script>" not in html


def smuggle_css(layouts: Path, css: str) -> None:
    style = layouts / "booklet" / "style.css.j2"
    style.write_text(style.read_text(encoding="utf-8") + "\n" + css + "\n", encoding="utf-8")


def smuggle_css_first(layouts: Path, css: str) -> None:
    """@import counts only before every other rule."""
    style = layouts / "booklet" / "style.css.j2"
    style.write_text(css + "\n" + style.read_text(encoding="utf-8"), encoding="utf-8")


def smuggle_html(layouts: Path, html: str) -> None:
    page = layouts / "booklet" / "booklet.html.j2"
    text = page.read_text(encoding="utf-8")
    assert "<body>" in text
    page.write_text(text.replace("<body>", "<body>" + html, 1), encoding="utf-8")


def smuggle_symlink(layouts: Path, _: str) -> None:
    (layouts / "booklet" / "paper.png").symlink_to("/etc/passwd")
    smuggle_css(layouts, 'body { background-image: url("paper.png"); }')


SMUGGLED = {
    "css-import-file": (smuggle_css_first, '@import url("file:///etc/passwd");', "file:///etc/passwd"),
    "css-background-http": (smuggle_css, 'body { background-image: url("http://example.com/x.png"); }',
                            "http://example.com/x.png"),
    "html-img-relative": (smuggle_html, '<img src="../../../../../../../../etc/passwd">', "/etc/passwd"),
    "symlink-out-of-project": (smuggle_symlink, "", "paper.png"),
}


@pytest.mark.parametrize("name", SMUGGLED)
def test_layout_copy_cannot_reach_outside_the_project(name, untouched, tiny, tmp_path):
    smuggle, snippet, url = SMUGGLED[name]
    layouts = tmp_path / "layouts"
    shutil.copytree(PROJECT / "layouts", layouts)
    smuggle(layouts, snippet)
    with pytest.raises(ReportError) as info:
        build_report(tiny, Paths(layouts=layouts, output=untouched), editions=("screen",))
    assert "拒绝读取项目以外的资源" in str(info.value) and url in str(info.value)


# ---------------------------------------------------------------- overflow, limits


def test_allow_overflow_builds_with_a_warning(tmp_path, capsys):
    source = tmp_path / NAME
    shutil.copyfile(BAD / "layout-long-theme-title.yaml", source)
    code, err = cli([source, "-o", tmp_path / "out", "-e", "screen", "--allow-overflow"], capsys)
    assert code == 0, err
    assert "警告（已按 --allow-overflow 放行）" in err and "右边" in err
    assert list((tmp_path / "out").rglob("*-screen.pdf"))


def test_a_long_url_in_a_list_wraps_inside_the_type_area(tmp_path, capsys):
    """A list item may shrink below its longest word (flex items have min-width 0 in the
    layout), so a URL too long for the line breaks inside the item instead of pushing it
    past the page's right margin."""
    import pdfplumber

    from tujie.manifest import load_layout

    source = tmp_path / NAME
    shutil.copyfile(Path(__file__).parent / "data" / "long-url-in-list.yaml", source)
    code, err = cli([source, "-o", tmp_path / "out", "-e", "screen"], capsys)
    assert code == 0, err
    (pdf_path,) = (tmp_path / "out").glob("*/*-screen.pdf")
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            words = "".join(c["text"] for c in page.chars)
            if "example.gov.cn" not in words:
                continue
            url_chars = [c for c in page.chars if c["text"] in "abcdefghij" and c["top"] > page.height / 2]
            assert len(url_chars) >= 100  # the whole URL is on this page
            side_mm = load_layout(PROJECT / "layouts", "booklet").margins_for(page.width / 72 * 25.4).side
            assert max(c["x1"] for c in url_chars) <= page.width - side_mm / 25.4 * 72 + 0.5
            lines = {round(c["top"]) for c in url_chars}
            assert len(lines) >= 2  # it did not fit one line: it wrapped
            break
        else:
            raise AssertionError("the URL is on no page")


def laid_out(body: str):
    """A small HTML page laid out with the bundled font (no report needed)."""
    from tujie.pdf import paginate

    font = (PROJECT / "fonts" / "NotoSansSC-Regular.otf").as_uri()
    html = (f'<html><head><style>@font-face {{ font-family: T; src: url("{font}"); }} '
            f'@page {{ size: A5; margin: 15mm; }} html {{ font: 10pt T; }} p {{ margin: 0; }}</style></head>'
            f'<body>{body}</body></html>')
    return paginate(html, PROJECT, [PROJECT / "fonts"])


LAYOUTS = {
    "clean": ("<p>一段普通的文字。</p>" * 3, set()),
    "tall": ('<div class="card" style="height: 8mm; background: #eee">' + "<p>固定高度的卡片里文字太多。</p>" * 4 + "</div>",
             {"tall"}),
    "overlap": ('<div style="position: relative"><p>第一段文字</p>'
                '<p class="note" style="position: absolute; top: 0">第二段文字压在上面</p></div>', {"overlap"}),
    "page": ('<div class="chart" style="break-inside: avoid"><p>图</p>'
             '<img alt="很高的图" style="display: block; width: 20mm; height: 400mm" '
             'src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E"></div>', {"page"}),
    "into-card-padding": ('<div style="background: #eee; padding: 0 5mm; width: 30mm">'
                          '<div style="white-space: nowrap">一二三四五六七八九</div></div>', set()),
    "out-of-card": ('<div style="background: #eee; padding: 0 1mm; width: 20mm">'
                    '<div style="white-space: nowrap">一二三四五六七八九十一二三四五</div></div>', {"wide"}),
}


@pytest.mark.parametrize("name", LAYOUTS)
def test_overflow_rules_on_small_pages(name):
    from tujie.overflow import find_overflows

    body, kinds = LAYOUTS[name]
    from tujie.manifest import load_layout

    classes = load_layout(PROJECT / "layouts", "booklet").classes.model_dump()
    assert {item.kind for item in find_overflows(laid_out(body), classes)} == kinds


def test_page_limit(untouched, tiny, capsys, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PAGES", 4)  # the small report has 8 pages
    code, err = cli([tiny, "-o", untouched, "-e", "screen"], capsys)
    assert code == 1 and "超过了 4 页的上限" in err, err


# the alarm may ring inside a __del__, where Python prints and ignores it; the next ring stops the build
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_time_limit(untouched, tiny, capsys, monkeypatch):
    # a build that takes long however warm the caches are: a stage that sleeps past the limit
    from tujie import coverage

    checked = coverage.check_characters
    monkeypatch.setattr(coverage, "check_characters", lambda *a, **k: (time.sleep(30), checked(*a, **k)))
    monkeypatch.setattr(limits, "TIME_LIMIT_S", 0.5)
    started = time.perf_counter()
    code, err = cli([tiny, "-o", untouched, "-e", "screen"], capsys)
    assert code == 1 and "时间限制" in err, err
    assert time.perf_counter() - started < 25  # stopped by the limit, not after the 30 s stage


# ---------------------------------------------------------------- interruption and failure


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_during_layout_leaves_the_last_good_output(untouched, tiny, capsys, monkeypatch):
    monkeypatch.setattr("tujie.parts.lay_out", interrupt)
    code, err = cli([tiny, "-o", untouched, "-e", "screen"], capsys)
    assert code == 130 and "已中断" in err


def test_ctrl_c_while_writing_the_pdf_leaves_no_partial_file(untouched, tiny, capsys, monkeypatch):
    def half_written(document, target, **options):
        Path(target).write_bytes(b"%PDF-1.7 half")
        raise KeyboardInterrupt

    monkeypatch.setattr("tujie.pdf.write", half_written)
    code, err = cli([tiny, "-o", untouched, "-e", "screen"], capsys)
    assert code == 130


def test_failed_preflight_moves_nothing(untouched, tiny, capsys, monkeypatch):
    from tujie import check

    monkeypatch.setattr(check, "check_pdf", lambda path, report=None, geometry=None: [check.Finding(str(path), "测试", False, "故意失败")])
    code, err = cli([tiny, "-o", untouched, "-e", "screen"], capsys)
    assert code == 1 and "没有通过检查" in err


def test_files_appear_only_by_rename(tiny, tmp_path, monkeypatch):
    """Nothing in the output folder changes until the move; then every file is a new inode (a rename)."""
    import tujie.build as build

    out = tmp_path / "out"
    build_report(tiny, Paths(output=out), editions=("screen",))
    folder = out / tiny.stem
    before = snapshot(folder)
    inodes = {name: (folder / name).stat().st_ino for name in before}
    seen = {}
    move = build._move_into_place

    def watched(*args, **kwargs):
        seen["before move"] = snapshot(folder)
        return move(*args, **kwargs)

    monkeypatch.setattr(build, "_move_into_place", watched)
    build_report(tiny, Paths(output=out), editions=("screen",), force=True)
    assert seen["before move"] == before
    replaced = [name for name in before if name.endswith((".pdf", ".html", ".svg", "SHA256SUMS"))]
    assert replaced and all((folder / name).stat().st_ino != inodes[name] for name in replaced)


# ---------------------------------------------------------------- other processes


def render(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(PROJECT / "render.py"), *map(str, args)], cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_stage(folder: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not stages(folder):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the build never started"
        time.sleep(0.01)


@pytest.fixture
def good_copy(good_output, tmp_path) -> Path:
    copy = tmp_path / "good"
    shutil.copytree(good_output, copy)
    return copy


def test_terminated_build_cleans_up(good_copy, tiny):
    before = snapshot(good_copy)
    process = render(tiny, "-o", good_copy, "-e", "screen")
    wait_for_stage(good_copy / tiny.stem, process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "已中断" in err
    assert snapshot(good_copy) == before and not stages(good_copy)


def test_killed_build_leaves_the_output_and_its_debris_is_swept(good_copy, tiny):
    before = snapshot(good_copy)
    process = render(tiny, "-o", good_copy, "-e", "screen")
    wait_for_stage(good_copy / tiny.stem, process)
    process.kill()
    process.communicate(timeout=60)
    assert snapshot(good_copy) == before  # only a hidden staging folder may remain …
    limits.OutputGuard(good_copy / tiny.stem).release()  # … which the next build sweeps first
    assert not stages(good_copy)


def test_two_builds_of_one_report_at_once(tiny, tmp_path):
    out = tmp_path / "out"
    first, second = render(tiny, "-o", out, "-e", "screen"), render(tiny, "-o", out, "-e", "screen")
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    folder = out / tiny.stem
    assert not stages(folder)
    pdfs = list(folder.glob("*-screen.pdf"))
    assert len(pdfs) == 1
    document = pypdfium2.PdfDocument(str(pdfs[0]))
    assert len(document) == 8
    document.close()
    for row in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = row.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


# ---------------------------------------------------------------- damaged or missing fonts (issue 12)


def _damage(font: Path, how: str) -> None:
    if how == "truncated":  # a copy cut short by a full disk
        font.write_bytes(font.read_bytes()[: font.stat().st_size // 3])
    elif how == "broken-cmap":  # the file is whole, its character map is garbage
        import struct

        data = bytearray(font.read_bytes())
        (tables,) = struct.unpack(">H", data[4:6])
        for i in range(tables):
            tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
            if tag == b"cmap":
                data[offset:offset + length] = b"\xff" * length
        font.write_bytes(bytes(data))
    elif how == "swapped":  # another weight saved under this one's name
        font.write_bytes((font.parent / "NotoSansSC-Regular.otf").read_bytes())
    elif how == "missing":
        font.unlink()
    elif how == "wrong-format":  # a download that saved the server's error page under the font's name
        font.write_text("<html><body>404 Not Found</body></html>", encoding="utf-8")
    elif how == "empty":
        font.write_bytes(b"")


@pytest.mark.parametrize("how, words", [
    ("truncated", ["字体文件不完整", "make fonts"]),
    ("missing", ["缺少字体文件", "make fonts"]),
    ("wrong-format", ["不是 OpenType 字体文件", "make fonts"]),
    ("empty", ["不是 OpenType 字体文件", "空文件"]),
    ("broken-cmap", ["字体文件已损坏", "cmap", "make fonts"]),
    ("swapped", ["字重是 400，应为 700", "make fonts"]),
])
def test_damaged_font_is_named_with_the_fix(how, words, untouched, tiny, tmp_path, capsys, monkeypatch):
    """A font in fonts/ that is cut short, missing or not a font: the CLI names the file and the fix
    (make fonts), exits non-zero and leaves the last good output as it was, with no traceback."""
    import functools

    from tujie import cli as cli_module

    fonts = tmp_path / "fonts"
    shutil.copytree(PROJECT / "fonts", fonts, ignore=shutil.ignore_patterns("*.py", "*.md", "*.txt", ".*"))
    _damage(fonts / "NotoSansSC-Bold.otf", how)
    monkeypatch.setattr(cli_module, "Paths", functools.partial(Paths, fonts=fonts))
    code, err = cli([tiny, "-o", untouched, "-e", "screen"], capsys)
    assert code == 1, err
    assert "生成失败" in err and "上一次生成的文件没有改动" in err
    assert "Traceback" not in err and "程序内部错误" not in err and "TTLibError" not in err, err
    assert f"文件 {fonts / 'NotoSansSC-Bold.otf'}" in err, err
    for word in words:
        assert word in err, f"“{word}” missing from\n{err}"
