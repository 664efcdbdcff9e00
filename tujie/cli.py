"""The command line: a thin layer that parses arguments and calls the library.

``render.py 报告.yaml …`` builds booklets; the first word may instead name a
subcommand (see ``COMMANDS``), each a small function over the library.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .build import Paths, build_report
from . import daemon, limits
from .errors import ReportError
from .registry import DEFAULT, EDITIONS

EPILOG = """示例：
  python render.py source/qiantang-2021.yaml     生成默认报告，结果在 output/qiantang-2021/
  python render.py source/*.yaml                 生成 source/ 里的所有报告
其他命令（python render.py 命令 --help 查看说明）：
{commands}
"""

def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# name → (one-line Chinese description, run(args) -> exit status; run.arguments(parser) adds its options)
COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {}


def command(name: str, description: str):
    """Register a subcommand: decorate ``run(args) -> int``; give it ``run.arguments = f(parser)``."""

    def register(run):
        COMMANDS[name] = (description, run)
        return run

    return register


class _ChineseFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, prefix="用法：")


class _ChineseParser(argparse.ArgumentParser):
    """argparse with its few user-facing phrases in Chinese."""

    _PHRASES = {
        "the following arguments are required": "缺少参数",
        "unrecognized arguments": "不认识的参数",
        "expected one argument": "需要一个值",
        "invalid choice": "取值无效",
        "argument ": "参数 ",
    }

    def error(self, message: str):
        for english, chinese in self._PHRASES.items():
            message = message.replace(english, chinese)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：{message}\n（运行 {self.prog} --help 查看用法）\n")


def _new_parser(prog: str, description: str, epilog: str | None = None) -> argparse.ArgumentParser:
    p = _ChineseParser(prog=prog, description=description, epilog=epilog,
                       formatter_class=_ChineseFormatter, add_help=False)
    p._positionals.title = "参数"
    p._optionals.title = "选项"
    p.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    return p


def build_parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<18} {desc}" for name, (desc, _) in COMMANDS.items()) or "  （无）"
    p = _new_parser("render.py", "把报告数据（YAML）排成可印刷的图解小册子（PDF）和手机阅读的网页版。", EPILOG.format(commands=listing))
    p.add_argument("sources", nargs="+", metavar="报告.yaml", help="报告数据文件，可以给多个")
    p.add_argument("-o", "--output", metavar="目录", default=None, help="输出目录（默认为项目的 output/）")
    choices = "；".join(f"{name} {e.title.strip()}" for name, e in EDITIONS.items())
    p.add_argument("-e", "--edition", action="append", choices=list(EDITIONS), metavar="版本",
                   help=f"只生成某个版本，可重复。{choices}。默认生成 {'、'.join(DEFAULT)}")
    p.add_argument("--impose", action="store_true", help="另外生成骑马钉拼版文件（印刷厂用）")
    p.add_argument("--force", action="store_true", help="即使数据没有变化也重新生成")
    p.add_argument("--no-worker", action="store_true",
                   help="印刷版不在第二个进程里排版（省内存，但单份报告会慢一些）")
    p.add_argument("--allow-overflow", action="store_true",
                   help="文字超出卡片或页面时只警告、仍然生成（默认报错停止；这样的文件不建议交付印刷）")
    p.add_argument("--no-daemon", action="store_true",
                   help="不使用、也不启动后台常驻进程（默认：生成后留一个后台进程 20 分钟，下次生成更快）")
    p.add_argument("-j", "--jobs", type=int, metavar="N", default=None,
                   help="同时生成几份报告（默认等于 CPU 核数；只有一份报告时不起作用）")
    return p


@dataclass
class Outcome:
    """What building one report printed, so batch workers can report in order."""

    source: str
    ok: bool
    out: list[str]
    err: list[str]


def build_one(source: str, paths: Paths, options: dict, build: Callable = build_report) -> Outcome:
    """Build one report and describe the result in Chinese; never raises.

    ``build``: build_report, or a resident builder's equivalent (tujie/daemon.py)."""
    start = time.perf_counter()
    try:
        with limits.deadline(limits.TIME_LIMIT_S):  # a runaway layout ends with a message, not a hang
            result = build(Path(source), paths, **options)
    except (ReportError, limits.TimeLimitExceeded) as exc:
        return Outcome(source, False, [], [f"✗ {source} 生成失败：\n{exc}", "  上一次生成的文件没有改动。"])
    except Exception:  # a bug, not the user's data: say so, keep the details for developers
        import traceback

        return Outcome(source, False, [], [
            f"✗ {source} 生成失败：程序内部错误（不是数据的问题），请把下面的信息发给维护人员。",
            traceback.format_exc().rstrip(), "  上一次生成的文件没有改动。"])
    took = time.perf_counter() - start
    if result.unchanged:
        return Outcome(source, True, [f"✓ {source}：数据、版式和字体都没有变化，沿用上次生成的文件（用时 {took:.2f} 秒）"], [])
    pages = f"{result.pages} 页，" if result.pages else ""  # the web edition alone lays out no pages
    lines = [f"✓ {source}：{pages}用时 {took:.1f} 秒，已通过检查"]
    for edition, path in result.files.items():
        lines.append(f"    {EDITIONS[edition].title}  {_relative(path)}")
        if edition in result.summaries:
            lines.append(f"    {'　' * len(EDITIONS[edition].title)}  {result.summaries[edition]}")
    if result.design is not None:
        lines.append(f"    {result.design.summary()}")
    return Outcome(source, True, lines, [])


def _build_many(sources: list[str], paths: Paths, options: dict, jobs: int) -> list[Outcome]:
    """Build reports on ``jobs`` processes with a progress bar; one failure stops nothing."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    outcomes: dict[str, Outcome] = {}
    columns = (TextColumn("生成报告"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress, ProcessPoolExecutor(max_workers=jobs) as pool:
        task = progress.add_task("build", total=len(sources))
        # each worker builds its editions one after another: the pool already uses every core
        futures = {pool.submit(build_one, src, paths, {**options, "parallel": False}): src for src in sources}
        for future in as_completed(futures):
            outcomes[futures[future]] = future.result()
            progress.advance(task)
    return [outcomes[src] for src in sources]


def run_build(args: argparse.Namespace) -> int:
    paths = Paths() if args.output is None else Paths(output=Path(args.output))
    options = {"editions": tuple(args.edition or DEFAULT), "impose": args.impose, "force": args.force,
               "parallel": not args.no_worker}
    if args.allow_overflow:
        options["allow_overflow"] = True
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(args.sources)))
    if len(args.sources) == 1 and daemon.enabled(args.no_daemon):
        # a resident process from an earlier build does it warm; none running: build here, start one for next time
        request = {"source": args.sources[0], "cwd": os.getcwd(), "options": {**options, "editions": list(options["editions"])}}
        status = daemon.hand_over(paths, request)
        if status is not None:
            return status
        try:
            return print_outcome([build_one(args.sources[0], paths, options)])
        finally:
            daemon.start(paths)
    if jobs > 1:
        outcomes = _build_many(args.sources, paths, options, jobs)
    else:
        outcomes = [build_one(src, paths, options) for src in args.sources]
    return print_outcome(outcomes)


def print_outcome(outcomes: list[Outcome]) -> int:
    """Print what the builds said, in order; the exit status."""
    for outcome in outcomes:
        for line in outcome.out:
            print(line)
        for line in outcome.err:
            print(line, file=sys.stderr)
    failed = [o.source for o in outcomes if not o.ok]
    if failed:
        print(f"有 {len(failed)} 份报告没有生成：{'、'.join(failed)}", file=sys.stderr)
        return 1
    if len(outcomes) > 1:
        print(f"全部 {len(outcomes)} 份报告已生成。")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = argv[0] if argv else ""
    is_build = first.endswith((".yaml", ".yml")) or (first.startswith("-") and first not in ("-h", "--help"))
    if not is_build:
        # subcommands (and the help listing them) import heavier libraries; a plain build skips them
        from . import commands  # noqa: F401  (registers the subcommands)
    try:
        with limits.terminate_as_interrupt():  # `kill` cleans up like Ctrl-C
            if argv and argv[0] in COMMANDS:
                description, run = COMMANDS[argv[0]]
                sub = _new_parser(f"render.py {argv[0]}", description)
                run.arguments(sub)
                return run(sub.parse_args(argv[1:]))
            return run_build(build_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("已中断，上一次生成的文件没有改动。", file=sys.stderr)
        return 130
