"""Subcommands of ``render.py`` beyond building: each a thin wrapper over the library."""

from __future__ import annotations


import argparse
from pathlib import Path

from . import diff
from .check import check_paths
from .cli import command


@command("check", "检查生成的文件（字体、页面框、颜色、页数、元数据）是否合格")
def run_check(args: argparse.Namespace) -> int:
    findings = check_paths([Path(p) for p in args.paths])
    current = None
    for finding in findings:
        if finding.file != current:
            current = finding.file
            print(f"\n{current}")
        print(f"  {finding}")
    failed = [f for f in findings if not f.ok]
    print(f"\n{'全部通过' if not failed else f'有 {len(failed)} 项没有通过'}（共检查 {len(findings)} 项）")
    return 1 if failed else 0


run_check.arguments = lambda p: p.add_argument(
    "paths", nargs="+", metavar="文件或目录", help="要检查的 PDF、长图，或 output/ 下的报告目录")


def run_diff(args: argparse.Namespace) -> int:
    """render.py diff: list what changed between two versions of a report's data (see tujie.diff)."""
    return diff.run(args)


run_diff.arguments = diff.add_arguments
# registered once .arguments is set, so this works whether or not the registry reads it eagerly
command("diff", "比较报告数据的两个版本，列出改动的数字和文字及其所在页（可生成新旧对照页）")(run_diff)


def run_sample_typography(args: argparse.Namespace) -> int:
    """render.py sample-typography: the clreq rules before and after, on one page (see tujie.typeset)."""
    from .typeset.sample import PROJECT, write_sample

    pdf, png = write_sample(Path(args.output) if args.output else PROJECT / "output" / "typography")
    print(f"✓ 中文排版规则示例：{pdf}\n  图片：{png}")
    return 0


run_sample_typography.arguments = lambda p: p.add_argument(
    "-o", "--output", metavar="目录", default=None, help="输出目录（默认为项目的 output/typography/）")
command("sample-typography", "生成中文排版规则示例页：两端对齐、行首行尾禁则、标点挤压、中西文间距，排版前后对照")(
    run_sample_typography)


def run_watch(args: argparse.Namespace) -> int:
    """render.py watch: rebuild the screen edition whenever data, layouts or fonts change."""
    from .build import Paths
    from .watch import watch

    paths = Paths() if args.output is None else Paths(output=Path(args.output))
    try:
        watch([Path(s) for s in args.sources], paths, editions=tuple(args.edition) if args.edition else None)
    except KeyboardInterrupt:
        print("已停止监视。")
    return 0


def _watch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="+", metavar="报告.yaml", help="要监视并重新生成的报告数据文件")
    p.add_argument("-o", "--output", metavar="目录", default=None, help="输出目录（默认为项目的 output/）")
    from .registry import EDITIONS

    p.add_argument("-e", "--edition", action="append", choices=list(EDITIONS), metavar="版本",
                   help="生成哪些版本，可重复（默认 screen 和 pages：屏幕版和每页预览图）")


run_watch.arguments = _watch_arguments
command("watch", "监视数据、版式和字体，一有修改就重新生成屏幕版和预览图（编辑时用，约 1 秒）")(run_watch)


def run_export_figures(args: argparse.Namespace) -> int:
    """render.py export-figures: every figure of a report as a spreadsheet (see tujie.sheets)."""
    from . import sheets

    return sheets.run_export(args)


def _export_arguments(p: argparse.ArgumentParser) -> None:
    from . import sheets

    sheets.export_arguments(p)


run_export_figures.arguments = _export_arguments
command("export-figures", "把报告里的全部数字导出为 Excel 表格（供统计局核对）")(run_export_figures)


def run_import(args: argparse.Namespace) -> int:
    """render.py import: update figures by id from a spreadsheet, after showing what changes."""
    from . import sheets

    return sheets.run_import(args)


def _import_arguments(p: argparse.ArgumentParser) -> None:
    from . import sheets

    sheets.import_arguments(p)


run_import.arguments = _import_arguments
command("import", "从 Excel 或 CSV 表格导入更正后的数字（先列出改动，确认后写入，保留备份）")(run_import)


def run_serve(args: argparse.Namespace) -> int:
    """render.py serve: the browser editor for one report (see tujie/editor)."""
    from .editor.serve import serve

    return serve(Path(args.source), host=args.host, port=args.port)


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="报告.yaml", help="要编辑的报告数据文件（在项目文件夹里）")
    p.add_argument("--port", type=int, default=8765, metavar="N", help="端口（默认 8765）")
    p.add_argument("--host", default="127.0.0.1", metavar="地址",
                   help="监听的地址（默认 127.0.0.1，只有本机能打开；0.0.0.0 会让局域网里的其他电脑也能打开和修改，需明确指定）")


run_serve.arguments = _serve_arguments
command("serve", "在浏览器里编辑报告：表单、即时校验、预览、保存、生成和导入表格")(run_serve)


def run_daemon(args: argparse.Namespace) -> int:
    """render.py daemon status|stop: the resident build process of an output folder (see tujie/daemon.py)."""
    from . import daemon
    from .build import Paths

    paths = Paths() if args.output is None else Paths(output=Path(args.output))
    pid = daemon.running(paths)
    if args.action == "status":
        if pid is None:
            print(f"没有为 {paths.output} 运行的后台进程（下次生成后会自动启动）")
        else:
            print(f"后台进程正在运行（进程号 {pid}），为 {paths.output} 生成；空闲 {daemon.IDLE_S // 60} 分钟后自动退出")
        return 0
    if pid is None:
        print(f"没有为 {paths.output} 运行的后台进程")
        return 0
    daemon.stop(paths)
    print(f"已停止后台进程（进程号 {pid}）")
    return 0


def _daemon_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["status", "stop"], metavar="操作",
                   help="status 查看是否在运行；stop 停止（释放约 500 MB 内存）")
    p.add_argument("-o", "--output", metavar="目录", default=None, help="输出目录（默认为项目的 output/）")


run_daemon.arguments = _daemon_arguments
command("daemon", "查看或停止生成后留下的后台常驻进程（它让下一次生成快一倍）")(run_daemon)
