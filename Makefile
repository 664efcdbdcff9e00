# 图解 booklet pipeline —— 常用命令：
#   make          安装环境（首次）并生成默认报告，结果在 output/
#   make test     运行全部测试
#   make all-reports  生成 source/ 里的所有报告
#   make watch    修改数据时自动重新生成屏幕版
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
REPORT ?= source/qiantang-2021.yaml
# Debian packages needed at run time: Pango for WeasyPrint, harfbuzz-subset (font subsetting ~25x faster),
# libgs-common for the CMYK ICC profile of the print edition.
DEBS   := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig libgs-common
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Needed only by the tests: Debian's Chromium (driven by playwright, whose own browser downloads are never
# used) and npm to fetch axe-core, pinned here, into .cache/npm/.
TEST_DEBS   := chromium npm
AXE_VERSION := 4.14.1
AXE         := .cache/npm/node_modules/axe-core/axe.min.js

.PHONY: all render all-reports test test-deps watch bench system-deps clean

all: render

system-deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "安装系统依赖：$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements.txt | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

render: $(VENV)/.installed
	$(PY) render.py $(REPORT)

all-reports: $(VENV)/.installed
	$(PY) render.py source/*.yaml

test-deps: | system-deps
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "安装测试用的系统软件：$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@grep -qs '"version": "$(AXE_VERSION)"' .cache/npm/node_modules/axe-core/package.json || \
	  { echo "下载 axe-core $(AXE_VERSION)（无障碍检查，测试用）"; \
	    npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@$(AXE_VERSION); }

test: $(VENV)/.installed test-deps
	$(PY) -m pytest -q

clean:
	rm -rf output

watch: $(VENV)/.installed
	$(PY) render.py watch $(REPORT)

bench: $(VENV)/.installed test-deps
	$(PY) bench/run.py --write
	$(PY) bench/web.py --write
