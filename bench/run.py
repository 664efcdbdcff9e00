"""Benchmark the whole pipeline on the default report (``make bench``, ``make bench-batch``).

Every scenario is measured from outside, in processes of its own, as a user
would meet it. The command-line scenarios take turns round by round, so that
their ratios compare runs made close together on this shared machine; the
table shows the median wall time, the spread (lowest–highest) and every run,
the peak memory (largest process, the workers included) and whether each
target of issue 13 is met. Scenarios:

1. warm      ``render.py watch`` (a resident tujie.warm.WarmBuilder) already
             running; a one-figure revision is written to the YAML and the
             clock stops when the new files are on disk (SHA256SUMS, written
             last, replaced): screen PDF and page pictures, and, in a second
             watch process, all editions;
   editor    ``render.py serve`` already running, its preview warm; a
             one-figure edit is posted as the page posts it (/api/edit)
             and the clock stops when /api/preview reports the new version
             and the changed pages' pictures have been fetched;
2. revision  the same revision, then ``make`` (the fonts check and render.py
             in a new process), all editions: with the resident process
             (tujie/daemon.py) that the previous build left, as a user
             meets it, and without (TUJIE_DAEMON=0);
3. cold      all editions, empty caches, new output folder;
4. no-op     nothing changed;
5. floor     WeasyPrint alone writing the pipeline's final screen HTML
             (charts already drawn), with the project's clreq patch installed
             as in the pipeline: the layout engine's own cost;
6. naive     the same editions made the straightforward way (bench/naive.py):
             one WeasyPrint layout per edition, no caches, no second process;
7. batch     (``--batch-only``, ``make bench-batch``, written to bench/BATCH.md)
             20 different copies of the report: one by one on one core
             (-j 1 --no-worker), one by one as a user would run them (-j 1),
             and as a batch on all cores (the default).

Usage:  .venv/bin/python bench/run.py [--runs N] [--warm-runs N] [--write]
        .venv/bin/python bench/run.py --batch-only [--copies N] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PY = sys.executable
SOURCE = PROJECT / "source" / "qiantang-2021.yaml"
MEASURE = textwrap.dedent("""
    import resource, subprocess, sys, time
    start = time.perf_counter()
    code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{took} {peak} {code}")
""")
FLOOR = textwrap.dedent("""
    import sys
    from tujie import typeset
    typeset.install()  # the layout engine as the pipeline configures it (clreq justification)
    from weasyprint import HTML
    html = open(sys.argv[1], encoding="utf-8").read()
    HTML(string=html, base_url=sys.argv[2]).write_pdf(sys.argv[3])
""")
NAIVE = PROJECT / "bench" / "naive.py"
FIGURE = re.compile(r"gdp_2019: \{value: \d+,")

# issue 13's targets: scenario → (limit in seconds, how it reads)
NAMES = {
    "warm": "常驻进程（watch）修订一个数字：屏幕版和每页预览图",
    "warm-all": "常驻进程（watch）修订一个数字：全部版本",
    "editor": "浏览器编辑器（serve）改一个数字：预览图更新",
    "revision": "修订一个数字后运行 make（全部版本，后台常驻进程在运行）",
    "revision-alone": "同上，没有后台常驻进程（TUJIE_DAEMON=0）",
    "cold": "冷启动（空缓存，全部版本）",
    "no-op": "无变化",
    "floor": "下限：WeasyPrint 单独排屏幕版 HTML",
    "naive": "朴素流程：无缓存，各版本依次生成",
}


def measure(command: list[str], cwd: Path = PROJECT, daemon: bool = False) -> tuple[float, float]:
    """(seconds, peak MB) of one command run in a fresh process (``daemon``: render.py may use its resident process)."""
    env = {**os.environ, "TUJIE_DAEMON": "1" if daemon else "0"}
    out = subprocess.run([PY, "-c", MEASURE, *command], cwd=cwd, capture_output=True, text=True, check=True, env=env)
    took, peak, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"命令失败：{' '.join(command)}")
    return float(took), float(peak)


def render(src: Path, out: Path, *extra: str) -> list[str]:
    return [PY, str(PROJECT / "render.py"), str(src), "-o", str(out), *extra]


def make_render(src: Path, out: Path) -> list[str]:
    # -o: never remake the virtual environment from here (a worktree's venv may be a shared symlink)
    return ["make", "-s", "-C", str(PROJECT), "-o", ".venv/.installed", "render", f"REPORT={src}", f"OUT={out}"]


def _peak_mb(pid: int) -> float:
    """Largest high-water mark of ``pid`` and its children (the pool workers), in MB."""
    peaks = []
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
        except (OSError, AttributeError):
            pass
    return max(peaks, default=0.0)


def warm_runs(text: str, work: Path, editions: list[str], runs: int, tag: str) -> tuple[list[float], float]:
    """Start ``render.py watch``, revise one figure ``runs`` times, time each until its files are on disk."""
    src_dir = work / f"watch-{tag}"
    src_dir.mkdir()
    src = src_dir / "qiantang-2021.yaml"
    out = work / f"watch-{tag}-out"
    src.write_text(text, encoding="utf-8")
    command = [PY, str(PROJECT / "render.py"), "watch", str(src), "-o", str(out)]
    for edition in editions:
        command += ["-e", edition]
    sums = out / "qiantang-2021" / "SHA256SUMS"
    log = (work / f"watch-{tag}.log").open("w")
    proc = subprocess.Popen(command, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
    times = []
    try:
        deadline = time.time() + 300
        while not sums.is_file():  # the first build: imports, fonts, every part
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"watch 没有完成第一次生成，见 {log.name}")
            time.sleep(0.1)
        time.sleep(1.0)  # let the watcher settle after its first build
        for i in range(runs):
            before = sums.stat().st_ino
            revised = FIGURE.sub(f"gdp_2019: {{value: {2000 + i},", text)
            start = time.perf_counter()
            src.write_text(revised, encoding="utf-8")
            while True:
                try:
                    if sums.stat().st_ino != before:
                        break
                except FileNotFoundError:
                    pass
                if time.perf_counter() - start > 120:
                    raise SystemExit(f"watch 没有在 120 秒内重新生成，见 {log.name}")
                time.sleep(0.005)
            times.append(time.perf_counter() - start)
            time.sleep(0.8)  # the next edit comes after the user looked at this one
        peak = _peak_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return times, peak


def editor_runs(text: str, runs: int) -> tuple[list[float], float]:
    """Start ``render.py serve``, edit one figure ``runs`` times over HTTP, time each until its pictures load."""
    import json
    import urllib.request

    sys.path.insert(0, str(PROJECT))
    from tujie.yamlio import items, parse_yaml

    # the editor edits only files inside the project: a copy under output/ (ignored by git), a name of its own
    folder = PROJECT / "output" / ".bench-editor"
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / "bench-qiantang-2021.yaml"
    src.write_text(text, encoding="utf-8")
    previews = PROJECT / "output" / ".editor" / src.stem
    shutil.rmtree(previews, ignore_errors=True)
    path = next(list(p) for p, _ in items(parse_yaml(text, str(src))[0]) if p[-3:] == ("figures", "gdp_2019", "value"))
    port = 8790 + os.getpid() % 100
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([PY, str(PROJECT / "render.py"), "serve", str(src), "--port", str(port)], cwd=PROJECT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def call(route: str, body: dict | None = None):
        request = urllib.request.Request(base + route, data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", "Origin": base})
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
        return json.loads(data) if response.headers.get_content_type() == "application/json" else data

    def newer(version: int, limit: float) -> dict:
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            try:
                state = call("/api/preview")
                if state.get("version", 0) > version and not state.get("building"):
                    return state
            except OSError:  # still starting
                pass
            time.sleep(0.01)
        raise SystemExit("编辑器的预览没有按时更新")

    times = []
    try:
        draft = text
        for _ in range(600):  # the server starts, then the first preview is built from the file
            try:
                call("/api/edit", {"draft": draft, "path": path, "value": "1059"})
                break
            except OSError:
                time.sleep(0.1)
        state = newer(0, 300)
        time.sleep(1.0)
        for i in range(runs):
            start = time.perf_counter()
            draft = call("/api/edit", {"draft": draft, "path": path, "value": str(2000 + i)})["draft"]
            state = newer(state["version"], 120)
            for page in state.get("changed") or [1]:
                call(f"/preview/{state['version']}/{page}.png")
            times.append(time.perf_counter() - start)
            time.sleep(0.8)
        peak = _peak_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(previews, ignore_errors=True)
    return times, peak


def main() -> int:
    parser = argparse.ArgumentParser(description="图解流水线基准测试")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm-runs", type=int, default=9)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--batch-only", action="store_true", help="只测批量生成（写入 bench/BATCH.md）")
    parser.add_argument("--write", action="store_true", help="把结果写入 bench/RESULTS.md（或 BATCH.md）")
    args = parser.parse_args()
    started = time.perf_counter()

    work = Path(tempfile.mkdtemp(prefix="tujie-bench-"))
    try:
        text = SOURCE.read_text(encoding="utf-8")
        if args.batch_only:
            report = batch_table(run_batch(text, work, args.copies), args.copies, time.perf_counter() - started)
            target = PROJECT / "bench" / "BATCH.md"
        else:
            report = table(run_scenarios(text, work, args), args, time.perf_counter() - started)
            target = PROJECT / "bench" / "RESULTS.md"
        print(report)
        if args.write:
            target.write_text(report, encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def run_scenarios(text: str, work: Path, args) -> dict:
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in NAMES}
    warm, warm_peak = warm_runs(text, work, [], args.warm_runs, "preview")
    runs["warm"] = [(t, warm_peak) for t in warm]
    warm_all, all_peak = warm_runs(text, work, ["print", "screen", "image", "web"], args.warm_runs, "all")
    runs["warm-all"] = [(t, all_peak) for t in warm_all]
    edits, editor_peak = editor_runs(text, args.warm_runs)
    runs["editor"] = [(t, editor_peak) for t in edits]

    # a folder of its own: pictures beside a report are inputs of the no-op check (tujie/build.inputs_key)
    src = work / "data" / "qiantang-2021.yaml"
    src.parent.mkdir()
    src.write_text(text, encoding="utf-8")
    warm_out = work / "warm"  # the output the revision and no-op runs rebuild
    measure(render(src, warm_out), daemon=True)  # leaves the resident process that make uses below
    sys.path.insert(0, str(PROJECT))
    from tujie import daemon
    from tujie.build import Paths

    resident = Paths(output=warm_out)
    for _ in range(600):
        if daemon.running(resident):
            break
        time.sleep(0.1)
    html = warm_out / ".cache" / "html" / "qiantang-2021.html"  # the final HTML (kept in the cache), for the floor
    # The scenarios run in rounds (cold, revision, no-op, floor, naive, then again), so that
    # the ratios compare runs made minutes apart, not a quiet minute with a busy one.
    for i in range(args.runs):
        runs["cold"].append(measure(render(src, work / f"cold{i}")))  # new folder: no caches, no record
        shutil.rmtree(work / f"cold{i}", ignore_errors=True)
        src.write_text(FIGURE.sub(f"gdp_2019: {{value: {1101 + i},", text), encoding="utf-8")
        runs["revision"].append(measure(make_render(src, warm_out), daemon=True))
        src.write_text(FIGURE.sub(f"gdp_2019: {{value: {1201 + i},", text), encoding="utf-8")
        runs["revision-alone"].append(measure(make_render(src, warm_out)))
        runs["no-op"].append(measure(render(src, warm_out)))
        runs["floor"].append(measure([PY, "-c", FLOOR, str(html), str(PROJECT) + "/", str(work / "floor.pdf")]))
        runs["naive"].append(measure([PY, str(NAIVE), str(src), str(work / f"naive{i}")]))
        shutil.rmtree(work / f"naive{i}", ignore_errors=True)
    # the resident process's own memory (it and its layout workers), beside the make process's
    peak = _peak_mb(daemon.running(resident) or 0)
    runs["revision"] = [(t, max(m, peak)) for t, m in runs["revision"]]
    daemon.stop(resident)
    return runs


def run_batch(text: str, work: Path, copies: int) -> tuple[float, float, float]:
    folder = work / "copies"
    folder.mkdir()
    for n in range(copies):
        # each copy differs (district and one figure), as one report per town would
        variant = FIGURE.sub(f"gdp_2019: {{value: {1100 + n},", text.replace("district: 钱塘新区", f"district: 钱塘新区{n + 1}号"))
        (folder / f"town-{n:02d}.yaml").write_text(variant, encoding="utf-8")
    cli = [PY, str(PROJECT / "render.py"), *sorted(str(p) for p in folder.glob("*.yaml"))]
    one_core, _ = measure([*cli, "-o", str(work / "b0"), "-j", "1", "--no-worker"])
    one_by_one, _ = measure([*cli, "-o", str(work / "b1"), "-j", "1"])
    many, _ = measure([*cli, "-o", str(work / "b2")])
    return one_core, one_by_one, many


def _machine(runs_note: str) -> str:
    return (f"机器：{platform.machine()}，{os.cpu_count()} 核（与其他程序共用，测量时的一分钟平均负载 "
            f"{os.getloadavg()[0]:.1f}），Python {platform.python_version()}；{runs_note}")


def table(runs: dict, args, took: float) -> str:
    rows = {k: (statistics.median(t for t, _ in v), max(m for _, m in v), [t for t, _ in v]) for k, v in runs.items()}
    med = {k: v[0] for k, v in rows.items()}
    lines = [
        f"# 基准测试结果（{dt.date.today().isoformat()}）",
        "",
        _machine(f"命令行各场景运行 {args.runs} 次、常驻进程场景 {args.warm_runs} 次，取中位数，"
                 f"每次都是新进程（常驻进程场景是同一个 watch 进程）。默认报告：16 页。"
                 f"本次 make bench 用时 {took / 60:.1f} 分钟。"),
        "",
        "| 场景 | 中位数（秒） | ÷ 下限 | 范围（秒） | 各次（秒） | 峰值内存（MB） |",
        "|---|---:|---:|---|---|---:|",
    ]
    # ÷ floor: the shared machine's speed differs by 1.7× from one day to the next; against WeasyPrint
    # alone on the same day, runs of different days compare
    for key, (m, p, times) in rows.items():
        lines.append(f"| {NAMES[key]} | {m:.2f} | {m / med['floor']:.2f} | {min(times):.2f}–{max(times):.2f} | "
                     f"{', '.join(f'{t:.2f}' for t in times)} | {p:.0f} |")

    def per_round(a, b):  # the ratio within each round, for how much it moves
        return ", ".join(f"{x / y:.2f}" for x, y in zip(rows[a][2], rows[b][2]))

    peak = max(v[1] for v in rows.values())
    targets = [
        ("常驻进程修订：屏幕版和预览图", f"{med['warm']:.2f} 秒", "", "≤ 1.0 秒", med["warm"] <= 1.0),
        ("常驻进程修订：全部版本", f"{med['warm-all']:.2f} 秒", "", "≤ 2.0 秒", med["warm-all"] <= 2.0),
        ("编辑器改一个数字到预览图更新", f"{med['editor']:.2f} 秒", "", "≈ 1.5 秒（议题 15）", med["editor"] <= 1.5),
        ("make 修订（命令行）", f"{med['revision']:.2f} 秒", "", "≤ 3.0 秒", med["revision"] <= 3.0),
        ("make 修订，没有后台进程（参考）", f"{med['revision-alone']:.2f} 秒", "", "—", None),
        ("冷启动 ÷ 下限", f"{med['cold'] / med['floor']:.2f}", per_round("cold", "floor"), "≤ 2",
         med["cold"] / med["floor"] <= 2),
        ("朴素 ÷ make 修订", f"{med['naive'] / med['revision']:.2f}", per_round("naive", "revision"), "≥ 4",
         med["naive"] / med["revision"] >= 4),
        ("无变化重建", f"{med['no-op']:.2f} 秒", "", "≤ 0.3 秒", med["no-op"] <= 0.3),
        ("峰值内存", f"{peak:.0f} MB", "", "≤ 500 MB", peak <= 500),
        ("make bench 用时", f"{took / 60:.1f} 分钟", "", "≤ 6 分钟", took <= 360),
    ]
    lines += ["", "| 指标 | 实测（中位数） | 各轮之比 | 目标 | 是否达到 |", "|---|---:|---|---|---|"]
    for name, value, rounds, target, ok in targets:
        lines.append(f"| {name} | {value} | {rounds} | {target} | {'—' if ok is None else '达到' if ok else '未达到'} |")
    batch = PROJECT / "bench" / "BATCH.md"
    if batch.is_file():
        found = re.search(r"^\| (批量 \d+ 份)：(.*)$", batch.read_text(encoding="utf-8"), re.M)
        if found:
            lines.append(f"| {found.group(1)}（bench/BATCH.md，make bench-batch）：{found.group(2)}")
    ratio = med["warm"] / med["floor"]
    lines += ["", NOTES, f"  常驻进程修订一个数字（屏幕版和预览图）是下限的 {ratio:.2f} 倍：机器快到下限在 "
              f"{1.0 / ratio:.1f} 秒以内时，它的中位数在 1 秒以内。"]
    return "\n".join(lines) + "\n"


def batch_table(batch: tuple[float, float, float], copies: int, took: float) -> str:
    one_core, one_by_one, many = batch
    return "\n".join([
        f"# 批量生成（{dt.date.today().isoformat()}，make bench-batch）",
        "",
        _machine(f"{copies} 份不同的报告（默认报告改区名和一个数字），全部版本，每种方式运行一次；用时 {took / 60:.1f} 分钟。"),
        "",
        "| 指标 | 实测 | 各轮之比 | 目标 | 是否达到 |", "|---|---:|---|---|---|",
        f"| 批量 {copies} 份：单核逐份 {one_core:.1f} 秒 ÷ 两核批量 {many:.1f} 秒 | {one_core / many:.2f}× | | ≥ 1.6× | "
        f"{'达到' if one_core / many >= 1.6 else '未达到'} |",
        f"| 批量 {copies} 份（参考）：逐份（每份已用两个进程）{one_by_one:.1f} 秒 ÷ 两核批量 {many:.1f} 秒 | "
        f"{one_by_one / many:.2f}× | | — | — |",
        "",
    ])


NOTES = """说明：
- 常驻进程：`render.py watch` 已在运行（tujie/warm.py 的 WarmBuilder：WeasyPrint、matplotlib 和字体已载入，
  排版用的子进程已启动）。测量从把修订写入 YAML 开始，到新文件全部放进输出目录为止（最后写入的 SHA256SUMS
  被替换），包括 watch 发现文件变化的时间。“屏幕版和每页预览图”是 watch 默认生成的内容；“全部版本”是
  `watch -e print -e screen -e image -e web`。
- make 修订：改 2019 年地区生产总值后运行 `make`（检查字体、启动 Python、生成全部版本）。上一次生成留下的后台常驻进程
  （tujie/daemon.py）在运行时，render.py 把生成交给它；“没有后台进程”一行是 TUJIE_DAEMON=0 时自己生成的用时。
  峰值内存一栏含后台进程和它的排版子进程。这个数字出现在第一章的
  正文里、第二章的图表里和数据一览里，所以要重画一张图表、重新排这三部分；其余各部分直接用缓存里上次排好的 PDF。
- 下限（floor）：WeasyPrint 单独把流水线最后生成的整本 HTML 排成 PDF（装上本项目的中文排版补丁），
  不含图表、印刷版、长图、网页版和检查。
- 朴素流程（bench/naive.py）：每个版本各排一次整本 HTML，不用缓存，不用第二个进程，依次生成。
- 这台机器是共享的虚拟机，同一命令两次运行相差可达 30% 以上，请看中位数和范围；不同时候整体快慢可差一倍多
  （下限 2026-12-02 为 2.15 秒，12-03 上午 3.67 秒、晚上 5.0 秒，12-04 凌晨 2.38–3.38 秒、晚上 4.85 秒），跨日比较请看“÷ 下限”一栏。"""


if __name__ == "__main__":
    sys.exit(main())
