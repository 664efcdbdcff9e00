"""Measure the web edition of each report in source/ (``make bench`` runs it after bench/run.py).

For each report: build the web edition alone into a temporary folder, then
open it in Debian's headless Chromium (playwright) at a phone and a desktop
width and record the folder's size, the requests the page made, whether any
left the folder, and axe-core's violations by impact. Needs what
``make test-deps`` installs.

Usage:  .venv/bin/python bench/web.py [--write]   (``--write`` stores the table in bench/WEB.md)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
AXE = PROJECT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTHS = {"手机 375×812": (375, 812), "桌面 1280×800": (1280, 800)}


def measure(browser, index: Path, width: int, height: int) -> dict:
    folder = index.parent.as_uri() + "/"
    requests = []
    page = browser.new_page(viewport={"width": width, "height": height})
    page.on("request", lambda r: requests.append(r.url))
    page.goto(index.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    impacts = {}
    for violation in result["violations"]:
        impacts[violation["impact"]] = impacts.get(violation["impact"], 0) + 1
    scroll = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    return {"requests": len(requests), "outside": sum(not u.startswith(folder) for u in requests),
            "axe": impacts, "rules": len(result["passes"]), "scroll": scroll <= width}


def main() -> int:
    parser = argparse.ArgumentParser(description="网页版：大小、请求数、无障碍检查（axe-core）")
    parser.add_argument("--write", action="store_true", help="把结果写入 bench/WEB.md")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    lines = ["# 网页版实测（bench/web.py）", "",
             "| 报告 | 宽度 | web/ 大小 | 请求数 | 出文件夹的请求 | axe 违规（严重/关键） | axe 其他违规 | 横向滚动 |",
             "|---|---|---:|---:|---:|---:|---|---|"]
    with tempfile.TemporaryDirectory(prefix="tujie-web-") as out, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for source in sorted((PROJECT / "source").glob("*.yaml")):
            # no resident process (tujie/daemon.py) left behind for a temporary folder
            subprocess.run([sys.executable, str(PROJECT / "render.py"), str(source), "-e", "web", "-o", out, "--no-daemon"],
                           check=True, capture_output=True)
            index = Path(out) / source.stem / "web" / "index.html"
            size = sum(p.stat().st_size for p in index.parent.rglob("*") if p.is_file())
            for name, (width, height) in WIDTHS.items():
                m = measure(browser, index, width, height)
                severe = m["axe"].get("serious", 0) + m["axe"].get("critical", 0)
                others = "、".join(f"{k} {v}" for k, v in sorted(m["axe"].items()) if k not in ("serious", "critical"))
                lines.append(f"| {source.stem} | {name} | {size / 1024:.0f} KB | {m['requests']} | {m['outside']} | "
                             f"{severe} | {others or '无'} | {'无' if m['scroll'] else '有'} |")
        browser.close()
    text = "\n".join(lines) + "\n\n请求数含 index.html 本身；axe-core 版本见 Makefile 的 AXE_VERSION。\n"
    print(text)
    if args.write:
        (PROJECT / "bench" / "WEB.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
