"""Benchmark the whole pipeline on the default report (``make bench``).

Each scenario runs in a new process and is repeated, the scenarios taking
turns round by round so that their ratios compare runs made close together
on this shared machine; the table shows the median wall time, the ratio
within each round, and the peak memory (largest process, the workers
included). Scenarios:

1. cold      all editions, empty caches, new output folder;
2. revision  one figure changed in the YAML, rebuild of all editions (warm caches,
             a new process, as when a user runs `make` again);
3. no-op     nothing changed;
4. floor     WeasyPrint alone writing the pipeline's final screen HTML
             (charts already drawn), with the project's clreq patch installed
             as in the pipeline: the layout engine's own cost;
5. naive     the same editions made the straightforward way (bench/naive.py):
             one WeasyPrint layout per edition, no caches, no second process,
             editions one after another;
6. batch     20 different copies of the report: one by one on one core
             (-j 1 --no-worker), one by one as a user would run them (-j 1,
             each build already uses a second process for the print edition),
             and as a batch on all cores (the default).

Usage:  .venv/bin/python bench/run.py [--runs N] [--copies N] [--no-batch] [--write]
``--write`` stores the table in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
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


def measure(command: list[str], cwd: Path = PROJECT) -> tuple[float, float]:
    """(seconds, peak MB) of one command run in a fresh process."""
    out = subprocess.run([PY, "-c", MEASURE, *command], cwd=cwd, capture_output=True, text=True, check=True)
    took, peak, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"命令失败：{' '.join(command)}")
    return float(took), float(peak)


def render(src: Path, out: Path, *extra: str) -> list[str]:
    return [PY, str(PROJECT / "render.py"), str(src), "-o", str(out), *extra]


def main() -> int:
    parser = argparse.ArgumentParser(description="图解流水线基准测试")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--no-batch", action="store_true")
    parser.add_argument("--write", action="store_true", help="把结果写入 bench/RESULTS.md")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tujie-bench-"))
    try:
        text = SOURCE.read_text(encoding="utf-8")
        src = work / "qiantang-2021.yaml"
        src.write_text(text, encoding="utf-8")
        # the warm output the revision and no-op runs rebuild
        warm = work / "warm"
        measure(render(src, warm))
        html = warm / ".cache" / "html" / "qiantang-2021.html"  # the final HTML (kept in the cache), for the floor

        def revise(i):
            src.write_text(text.replace("gdp_2019: {value: 1100,", f"gdp_2019: {{value: {1101 + i},"), encoding="utf-8")

        # The scenarios run in rounds (cold, revision, no-op, floor, naive, then again), so that
        # the ratios compare runs made minutes apart, not a quiet minute with a busy one.
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("cold", "revision", "no-op", "floor", "naive")}
        for i in range(args.runs):
            runs["cold"].append(measure(render(src, work / f"cold{i}")))  # new folder: no caches, no record
            revise(i)
            runs["revision"].append(measure(render(src, warm)))
            runs["no-op"].append(measure(render(src, warm)))
            runs["floor"].append(measure([PY, "-c", FLOOR, str(html), str(PROJECT) + "/", str(work / "floor.pdf")]))
            runs["naive"].append(measure([PY, str(NAIVE), str(src), str(work / f"naive{i}")]))
        rows = {k: (statistics.median(t for t, _ in v), max(m for _, m in v), [t for t, _ in v])
                for k, v in runs.items()}

        batch = None
        if not args.no_batch:
            copies = work / "copies"
            copies.mkdir()
            for n in range(args.copies):
                # each copy differs (district and one figure), as one report per town would
                variant = text.replace("district: 钱塘新区", f"district: 钱塘新区{n + 1}号").replace(
                    "gdp_2019: {value: 1100,", f"gdp_2019: {{value: {1100 + n},")
                (copies / f"town-{n:02d}.yaml").write_text(variant, encoding="utf-8")
            sources = sorted(str(p) for p in copies.glob("*.yaml"))
            cli = [PY, str(PROJECT / "render.py"), *sources]
            one_core, _ = measure([*cli, "-o", str(work / "b0"), "-j", "1", "--no-worker"])
            one_by_one, _ = measure([*cli, "-o", str(work / "b1"), "-j", "1"])
            many, _ = measure([*cli, "-o", str(work / "b2")])
            batch = (one_core, one_by_one, many)
        report = table(rows, batch, args)
        print(report)
        if args.write:
            (PROJECT / "bench" / "RESULTS.md").write_text(report, encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def table(rows: dict, batch, args) -> str:
    med = {k: v[0] for k, v in rows.items()}
    peak = max(v[1] for v in rows.values())
    lines = [
        f"# 基准测试结果（{dt.date.today().isoformat()}）",
        "",
        f"机器：{platform.machine()}，{os.cpu_count()} 核，Python {platform.python_version()}；"
        f"每项运行 {args.runs} 次取中位数，每次都是新进程；各场景轮流运行（冷启动、修订、无变化、下限、朴素，"
        f"再下一轮），比值比较的是相隔不远的几次运行。默认报告：16 页，印刷版、屏幕版、长图三个版本。",
        "",
        "| 场景 | 中位数（秒） | 各次（秒） | 峰值内存（MB） |",
        "|---|---:|---|---:|",
    ]
    names = {"cold": "冷启动（空缓存，全部版本）", "revision": "修订一个数字后重建全部版本", "no-op": "无变化",
             "floor": "下限：WeasyPrint 单独排屏幕版 HTML", "naive": "朴素流程：无缓存，各版本依次生成"}
    for key, (m, p, times) in rows.items():
        lines.append(f"| {names[key]} | {m:.2f} | {', '.join(f'{t:.2f}' for t in times)} | {p:.0f} |")
    def per_round(a, b):  # the ratio within each round, for how much it moves
        return ", ".join(f"{x / y:.2f}" for x, y in zip(rows[a][2], rows[b][2]))

    ratios = {
        "cold ÷ floor": (med["cold"] / med["floor"], per_round("cold", "floor"), "≤ 3",
                         med["cold"] / med["floor"] <= 3),
        "revision ÷ floor": (med["revision"] / med["floor"], per_round("revision", "floor"), "≤ 1.5",
                             med["revision"] / med["floor"] <= 1.5),
        "naive ÷ revision": (med["naive"] / med["revision"], per_round("naive", "revision"), "≥ 2.5",
                             med["naive"] / med["revision"] >= 2.5),
    }
    lines += ["", "| 指标 | 实测（中位数之比） | 各轮之比 | 目标 | 是否达到 |", "|---|---:|---|---|---|"]
    for name, (value, rounds, target, ok) in ratios.items():
        lines.append(f"| {name} | {value:.2f} | {rounds} | {target} | {'达到' if ok else '未达到'} |")
    lines.append(f"| 无变化重建 | {med['no-op']:.2f} 秒 | | ≤ 0.3 秒 | {'达到' if med['no-op'] <= 0.3 else '未达到'} |")
    lines.append(f"| 峰值内存 | {peak:.0f} MB | | ≤ 500 MB | {'达到' if peak <= 500 else '未达到'} |")
    if batch:
        one_core, one_by_one, many = batch
        lines.append(f"| 批量 {args.copies} 份：单核逐份 {one_core:.1f} 秒 ÷ 两核批量 {many:.1f} 秒 | {one_core / many:.2f}× | | ≥ 1.6× | "
                     f"{'达到' if one_core / many >= 1.6 else '未达到'} |")
        lines.append(f"| 批量 {args.copies} 份：逐份（每份已用两个进程）{one_by_one:.1f} 秒 ÷ 两核批量 {many:.1f} 秒 | "
                     f"{one_by_one / many:.2f}× | | （参考） | — |")
    lines += ["", NOTES]
    return "\n".join(lines) + "\n"


NOTES = """说明：
- 下限（floor）：WeasyPrint 单独把流水线最后生成的整本 HTML 排成 PDF（装上本项目的中文排版补丁，与流水线
  用的排版引擎相同），不含图表、印刷版、长图和检查。
- 修订：改 2019 年地区生产总值。这个数字出现在第一章的正文里、第二章的图表里和数据一览里，所以要重画一张图表、
  重新排这三部分；其余各部分（封面目录和另外四章）直接用缓存里上次排好的 PDF。
- 朴素流程（bench/naive.py）：每个版本各排一次整本 HTML，不用缓存，不用第二个进程，依次生成。
- 这台机器是共享的虚拟机，同一命令两次运行相差可达 30%，请看中位数和各次数值。"""


if __name__ == "__main__":
    sys.exit(main())
