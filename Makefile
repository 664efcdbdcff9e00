# 图解 booklet pipeline —— 常用命令：
#   make          安装环境（首次）并生成默认报告，结果在 output/
#   make test     运行全部测试
#   make all-reports  生成 source/ 里的所有报告
#   make watch    修改数据时自动重新生成屏幕版和每页预览图（约 1 秒）
#   make bench    测量生成速度（约 5 分钟），make bench-batch 另测 20 份报告的批量生成
#   make serve    在浏览器里编辑报告（http://127.0.0.1:8765/）
#   make fonts    下载 Debian 的思源黑体（Noto Sans CJK）软件包并生成 fonts/ 里的四个字体（已是最新则什么都不做）
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
REPORT ?= source/qiantang-2021.yaml
OUT    ?=
OUTOPT := $(if $(OUT),-o $(OUT))
# Debian packages needed at run time: Pango for WeasyPrint, harfbuzz-subset (font subsetting ~25x faster),
# libgs-common for the CMYK ICC profile of the print edition.
DEBS   := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig libgs-common
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Needed only by the tests: Unihan (kTGH: the 8,105 characters of 通用规范汉字表) to prove the fonts cover them;
# Debian's Chromium (driven by playwright, whose own browser downloads are never used) and npm to fetch
# axe-core, pinned here, into .cache/npm/.
TEST_DEBS   := unicode-data chromium
AXE_VERSION := 4.14.1
AXE         := .cache/npm/node_modules/axe-core/axe.min.js

.PHONY: all render all-reports test watch serve bench bench-batch system-deps test-debs test-deps fonts clean

all: render

system-deps test-debs: PKGS = $(if $(filter test-debs,$@),$(TEST_DEBS),$(DEBS))
system-deps test-debs:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "安装系统依赖：$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements.txt | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# The fonts are not in git: made from Debian's pinned packages, byte for byte the files fonts/SHA256SUMS lists.
# Phony, so a font deleted or cut short is made again; when all four match their sums it takes a fraction of a second.
# apt-get download needs the package lists: fetched once if the first try cannot find the packages.
fonts: $(VENV)/.installed
	@$(PY) fonts/build_fonts.py --fetch || { $(SUDO) apt-get update -q && $(PY) fonts/build_fonts.py --fetch; }

render: $(VENV)/.installed fonts
	$(PY) render.py $(REPORT) $(OUTOPT)

all-reports: $(VENV)/.installed fonts
	$(PY) render.py source/*.yaml

# what the tests need besides the venv: the Debian packages above, and axe-core fetched with npm
test-deps: test-debs
	@command -v npm >/dev/null 2>&1 || { echo "安装测试用的系统软件：npm"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm; }
	@grep -qs '"version": "$(AXE_VERSION)"' .cache/npm/node_modules/axe-core/package.json || \
	  { echo "下载 axe-core $(AXE_VERSION)（无障碍检查，测试用）"; \
	    npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@$(AXE_VERSION); }

test: $(VENV)/.installed fonts test-deps
	$(PY) -m pytest -q

clean:
	rm -rf output

watch: $(VENV)/.installed fonts
	$(PY) render.py watch $(REPORT)

serve: $(VENV)/.installed fonts
	$(PY) render.py serve $(REPORT)

bench: $(VENV)/.installed fonts test-deps
	$(PY) bench/run.py --write
	$(PY) bench/web.py --write

# the batch of 20 reports (one core, one by one, all cores): about 5 minutes more, so not in `make bench`
bench-batch: $(VENV)/.installed fonts
	$(PY) bench/run.py --batch-only --write
