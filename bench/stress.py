"""Build hundreds of random reports (tests/gen.py) and print how the layout held.

    .venv/bin/python bench/stress.py            # 200 cases on every core
    .venv/bin/python bench/stress.py -n 40 --seed 1000

Every case must build with zero overflow and zero overlap (the build refuses
both); the fill of content pages (all but each report's last) is printed as a
distribution, with the design findings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gen import build_case  # noqa: E402


def _one(args):
    seed, root = args
    return build_case(seed, Path(root) / f"c{seed}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as root, ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_one, [(args.seed + i, root) for i in range(args.n)]))
    failed = [r for r in results if not r["ok"]]
    overflow = [r for r in failed if "排版超出" in r["error"]]
    fills = [f for r in results for f in r["fills"]]
    findings = sum(len(r.get("findings", [])) for r in results)
    print(f"{len(results)} 份随机报告，用时 {time.perf_counter() - started:.0f} 秒")
    print(f"  生成成功 {len(results) - len(failed)}，失败 {len(failed)}（其中排版超出或重叠 {len(overflow)}）")
    by_size = {}
    for r in results:
        by_size.setdefault(r["size"], []).append(r)
    print("  开本：" + "，".join(f"{k} {len(v)} 份" for k, v in sorted(by_size.items())))
    if fills:
        q = statistics.quantiles(fills, n=10)
        print(f"  内容页（不含各报告最后一页）{len(fills)} 页：填充中位数 {statistics.median(fills):.0%}，"
              f"平均 {statistics.mean(fills):.0%}，最低 {min(fills):.0%}，10% 分位 {q[0]:.0%}，"
              f"低于 60% 的 {sum(f < 0.6 for f in fills)} 页")
    print(f"  设计检查发现的问题：{findings} 处")
    for r in failed[:10]:
        print(f"  ✗ 种子 {r['seed']}（{r['size']}）：{r['error'][:300]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
