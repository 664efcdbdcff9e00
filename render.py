#!/usr/bin/env python3
"""render.py —— 把报告数据（YAML）排成图解小册子（PDF）。

用法示例：
    python render.py source/qiantang-2021.yaml
    python render.py source/*.yaml
"""

import sys

from tujie.cli import main

if __name__ == "__main__":
    sys.exit(main())
