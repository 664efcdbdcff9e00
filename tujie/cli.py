"""The command line: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .build import Paths, build_report
from .errors import ReportError

EPILOG = """示例：
  python render.py source/qiantang-2021.yaml     生成默认报告，结果在 output/qiantang-2021/
  python render.py source/*.yaml                 依次生成 source/ 里的所有报告
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="render.py",
        description="把报告数据（YAML）排成可印刷的图解小册子（PDF）。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    p.add_argument("sources", nargs="+", metavar="报告.yaml", help="报告数据文件，可以给多个")
    p.add_argument("-o", "--output", metavar="目录", default=None, help="输出目录（默认为项目的 output/）")
    p.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    paths = Paths() if args.output is None else Paths(output=Path(args.output))
    failed = []
    for source in args.sources:
        start = time.perf_counter()
        try:
            result = build_report(Path(source), paths)
        except ReportError as exc:
            print(f"✗ {source} 生成失败：\n{exc}", file=sys.stderr)
            print("  上一次生成的文件没有改动。", file=sys.stderr)
            failed.append(source)
            continue
        except KeyboardInterrupt:
            print("已中断，上一次生成的文件没有改动。", file=sys.stderr)
            return 130
        took = time.perf_counter() - start
        print(f"✓ {source} → {result.pdf}（{result.pages} 页，用时 {took:.1f} 秒）")
    if failed:
        print(f"有 {len(failed)} 份报告没有生成：{'、'.join(failed)}", file=sys.stderr)
        return 1
    return 0
