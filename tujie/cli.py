"""The command line: a thin layer that parses arguments and calls the library.

``render.py 报告.yaml …`` builds booklets; the first word may instead name a
subcommand (see ``COMMANDS``), each a small function over the library.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

from .build import EDITIONS, Paths, build_report
from .errors import ReportError

EPILOG = """示例：
  python render.py source/qiantang-2021.yaml     生成默认报告，结果在 output/qiantang-2021/
  python render.py source/*.yaml                 生成 source/ 里的所有报告
其他命令（python render.py 命令 --help 查看说明）：
{commands}
"""

EDITION_NAMES = {"print": "印刷版（交印刷厂）", "screen": "屏幕版（网站发布）", "image": "长图（微信）　　",
                 "imposed": "拼版（印刷厂）　"}


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
    p = _new_parser("render.py", "把报告数据（YAML）排成可印刷的图解小册子（PDF）。", EPILOG.format(commands=listing))
    p.add_argument("sources", nargs="+", metavar="报告.yaml", help="报告数据文件，可以给多个")
    p.add_argument("-o", "--output", metavar="目录", default=None, help="输出目录（默认为项目的 output/）")
    p.add_argument("-e", "--edition", action="append", choices=EDITIONS, metavar="版本",
                   help="只生成某个版本：print（印刷版）、screen（屏幕版）、image（长图），可重复；默认全部")
    p.add_argument("--impose", action="store_true", help="另外生成骑马钉拼版文件（印刷厂用）")
    return p


def run_build(args: argparse.Namespace) -> int:
    paths = Paths() if args.output is None else Paths(output=Path(args.output))
    failed = []
    for source in args.sources:
        start = time.perf_counter()
        try:
            result = build_report(Path(source), paths, editions=tuple(args.edition or EDITIONS),
                                  impose=args.impose)
        except ReportError as exc:
            print(f"✗ {source} 生成失败：\n{exc}", file=sys.stderr)
            print("  上一次生成的文件没有改动。", file=sys.stderr)
            failed.append(source)
            continue
        except Exception:  # a bug, not the user's data: say so, keep the details for developers
            import traceback

            print(f"✗ {source} 生成失败：程序内部错误（不是数据的问题），请把下面的信息发给维护人员。", file=sys.stderr)
            traceback.print_exc()
            print("  上一次生成的文件没有改动。", file=sys.stderr)
            failed.append(source)
            continue
        took = time.perf_counter() - start
        print(f"✓ {source}：{result.pages} 页，用时 {took:.1f} 秒，已通过检查")
        for edition, path in result.files.items():
            print(f"    {EDITION_NAMES[edition]}  {_relative(path)}")
    if failed:
        print(f"有 {len(failed)} 份报告没有生成：{'、'.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    from . import commands  # noqa: F401  (registers the subcommands)

    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] in COMMANDS:
            description, run = COMMANDS[argv[0]]
            sub = _new_parser(f"render.py {argv[0]}", description)
            run.arguments(sub)
            return run(sub.parse_args(argv[1:]))
        return run_build(build_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("已中断，上一次生成的文件没有改动。", file=sys.stderr)
        return 130
