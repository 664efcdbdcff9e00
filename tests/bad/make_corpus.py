"""Write tests/bad/: one small report per bad input, each with its expectations in a header.

Every file is BASE (a minimal valid report) with exactly one thing wrong. The
header says what is wrong (情形), words the error message must contain
(期望, separated by ；), and where applicable the field (字段) and line (行)
it must name. tests/test_bad_inputs.py reads the headers; run this script to
regenerate the files after changing a case (it rewrites every *.yaml here).
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent
BASE = """report:
  title: 政府工作报告
  district: 青禾镇
  year: 2025
  issuer: 青禾镇人民政府
  revision: {label: t1, date: 2026-01-01}
sections:
  - id: review
    title: 工作回顾
    blocks:
      - type: lead
        text: 全年地区生产总值达到{gdp}，参保率达到{pension}。
        figures:
          gdp: {value: 12.5, unit: 亿元, label: 地区生产总值}
          pension: {value: 98, unit: "%", label: 基本养老保险参保率, max: 100}
      - type: chart
        chart: bars
        title: 主要指标
        figures: [gdp]
        alt: 地区生产总值12.5亿元。
"""

def sub(old, new, count=1):
    assert old in BASE, old
    return BASE.replace(old, new, count)

LEAD_FIGS = "          pension: {value: 98, unit: \"%\", label: 基本养老保险参保率, max: 100}\n"
EXTRA_SECTION = """  - id: plan
    title: 今年安排
    blocks:
      - type: lead
        text: 新增就业{jobs}。
        figures:
          jobs: {value: 800, unit: 人, label: 新增城镇就业}
"""

THEMES = """  - id: plan
    title: 今年安排
    blocks:
      - type: themes
        themes:
          - title: 重点工作
            items:
              - text: {url}
              - text: 新增企业{firms}、项目{projects}、人才{talents}、专利{patents}、平台{platforms}。
                figures:
                  firms: {value: 48, unit: 家, label: 新增规模以上工业企业}
                  projects: {value: 84, unit: 个, label: 新引进亿元以上项目}
                  talents: {value: 75, unit: 人, label: 新引进领军型人才}
                  patents: {value: 307, unit: 件, label: 新增发明专利}
                  platforms: {value: 6, unit: 个, label: 产业平台}
              - text: 另有园区{parks}、基金{funds}、孵化器{incubators}、展会{fairs}、论坛{forums}。
                figures:
                  parks: {value: 3, unit: 个, label: 园区}
                  funds: {value: 5, unit: 支, label: 基金}
                  incubators: {value: 12, unit: 家, label: 孵化器}
                  fairs: {value: 4, unit: 场, label: 展会}
                  forums: {value: 9, unit: 场, label: 论坛}
"""

# name: (situation, expected words, marker of the wrong line or None, field or None, text or bytes)
CASES = {
  # ---- YAML
  "yaml-unclosed-bracket": ("列表的方括号没有配对", ["方括号"], None, None, sub("figures: [gdp]", "figures: [gdp")),
  "yaml-colon-in-text": ("文字里有英文冒号又没加引号", ["冒号"], "注意: ", None, sub("text: 全年", "text: 注意: 全年")),
  "yaml-unclosed-quote": ("引号没有配对", ["引号", "没有配对"], '"工作回顾', None, sub("title: 工作回顾", 'title: "工作回顾')),
  "yaml-tab-indent": ("用 Tab 缩进", ["制表符"], "\ttitle", None, sub("    title: 工作回顾", "\ttitle: 工作回顾")),
  "yaml-duplicate-key": ("同一处写了两遍 district", ["district", "重复", "第一次在第"], "district: 别的镇", "report.district",
                         sub("  district: 青禾镇\n", "  district: 青禾镇\n  district: 别的镇\n")),
  "yaml-gbk": ("文件存成了 GBK 编码", ["GBK", "UTF-8"], None, None, BASE.encode("gb18030")),
  "yaml-utf16": ("文件存成了 UTF-16 编码", ["UTF-16", "UTF-8"], None, None, BASE.encode("utf-16")),
  "yaml-empty": ("空文件", ["空的"], None, None, ""),
  "yaml-only-comments": ("只有注释", ["空的"], None, None, "# 还没写\n# 明天再写\n"),
  "yaml-alias-bomb": ("锚点别名层层展开（billion laughs）", ["别名", "20000"], None, None,
                      "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
                          f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))),
  "yaml-recursive-alias": ("别名引用了自己", ["别名", "无限"], None, None, "a: &a {b: *a}\n"),
  "yaml-python-object-tag": ("试图用标签执行 Python 代码", ["标签", "python/object/apply"], None, "report",
                             "report: !!python/object/apply:os.system ['echo pwned']\n"),
  "yaml-python-name-tag": ("试图用标签引用 Python 对象", ["标签", "python/name"], "!!python/name", "report.title",
                           sub("title: 政府工作报告", "title: !!python/name:os.system")),
  "yaml-custom-tag": ("自定义标签（!include）", ["标签"], "!include", "report.issuer",
                      sub("issuer: 青禾镇人民政府", "issuer: !include other.yaml")),
  "yaml-merge-key": ("YAML 合并键 <<", ["合并键"], "<<", None,
                     sub("  revision: {label: t1, date: 2026-01-01}", "  revision: &rev {label: t1, date: 2026-01-01}\n  <<: *rev")),
  "yaml-two-documents": ("一个文件里两份文档", ["---", "一份报告"], "---", None, BASE + "---\nreport: {}\n"),
  "yaml-control-character": ("文字里混进了控制字符", ["控制字符", "U+0007"], "\x07", None, sub("全年地区", "全年\x07地区")),
  "yaml-top-level-list": ("最外层写成了列表", ["最外层"], None, None, "- report\n- sections\n"),
  "yaml-deep-nesting": ("嵌套层数太多", ["嵌套"], None, None, "report: " + "[" * 3000 + "]" * 3000 + "\n"),
  "yaml-bad-date": ("不存在的日期", ["日期", "2026-02-30"], "2026-02-30", "report.revision.date",
                    sub("date: 2026-01-01", "date: 2026-02-30")),
  "yaml-yes-for-boolean": ("布尔值写成 yes", ["true", "false", "yes"], "sample: yes", "report.sample",
                           sub("  issuer: 青禾镇人民政府\n", "  issuer: 青禾镇人民政府\n  sample: yes\n")),
  "yaml-no-for-year": ("年份写成了 no（YAML 1.1 会当成 false）", ["应为整数", "no"], "year: no", "report.year",
                       sub("year: 2025", "year: no")),
  # ---- schema
  "schema-typo-vaule": ("字段名拼错", ["vaule", "“value”"], "vaule", "sections[0].blocks[0].figures.gdp.vaule",
                        sub("gdp: {value: 12.5", "gdp: {vaule: 12.5")),
  "schema-missing-label": ("缺少必填字段 label", ["缺少必填字段"], "gdp: {value", "sections[0].blocks[0].figures.gdp.label",
                           sub(", label: 地区生产总值}", "}")),
  "schema-missing-sections": ("整份报告没有 sections", ["缺少必填字段", "sections"], None, "sections",
                              BASE.split("sections:")[0]),
  "schema-value-as-text": ("数值写成“约12.5”", ["应为数字", "约12.5", "qualifier"], "约12.5", "sections[0].blocks[0].figures.gdp.value",
                           sub("value: 12.5", 'value: "约12.5"')),
  "schema-value-with-unit": ("数值里带了单位", ["应为数字", "unit"], "12.5亿元", "sections[0].blocks[0].figures.gdp.value",
                             sub("value: 12.5", "value: 12.5亿元")),
  "schema-value-1e3": ("数值用科学计数法", ["科学计数法"], "1e3", "sections[0].blocks[0].figures.gdp.value",
                       sub("value: 12.5", "value: 1e3")),
  "schema-value-leading-zero": ("整数以 0 开头（YAML 1.1 当成八进制）", ["0 开头"], "010", "sections[0].blocks[0].figures.gdp.value",
                                sub("value: 12.5", "value: 010")),
  "schema-value-list": ("数值处写了列表", ["应为数字", "列表"], "[12.5]", "sections[0].blocks[0].figures.gdp.value",
                        sub("value: 12.5", "value: [12.5]")),
  "schema-value-negative": ("负数", ["不能小于 0"], "-12.5", "sections[0].blocks[0].figures.gdp.value",
                            sub("value: 12.5", "value: -12.5")),
  "schema-value-absurd": ("离谱的数值（多写了几个 0）", ["不能大于", "单位"], "125000000000", "sections[0].blocks[0].figures.gdp.value",
                          sub("value: 12.5", "value: 125000000000")),
  "schema-percent-over-max": ("百分比超过写明的上限", ["上限 100"], "value: 198", "sections[0].blocks[0].figures.pension",
                              sub("value: 98", "value: 198")),
  "schema-share-over-100": ("比率超过 100% 而没写上限", ["100%", "参保率"], "value: 198", "sections[0].blocks[0].figures.pension.value",
                            sub(", max: 100}", "}").replace("value: 98", "value: 198")),
  "schema-duplicate-figure-id": ("数字编号重复", ["gdp", "不止一次", "第一次出现在第"], "          gdp: {value: 800", "sections[1].blocks[0].figures.gdp",
                                 BASE + EXTRA_SECTION.replace("{jobs}", "{gdp}").replace("jobs: {value: 800", "gdp: {value: 800")),
  "schema-duplicate-section-id": ("章节编号重复", ["章节编号", "review", "第一次出现在第"], "  - id: review\n    title: 今年安排", "sections[1].id",
                                  BASE + EXTRA_SECTION.replace("id: plan", "id: review")),
  "schema-chart-unknown-figure": ("图表引用了不存在的数字", ["gpd", "没有定义"], "[gpd]", "sections[0].blocks[1].figures[0]",
                                  sub("figures: [gdp]", "figures: [gpd]")),
  "schema-placeholder-undefined": ("文字里的占位符没有定义", ["{gdp2}", "没有定义"], None, "sections[0].blocks[0]",
                                   sub("达到{gdp}，", "达到{gdp2}，")),
  "schema-unknown-block-type": ("块类型拼错", ["theme", "“themes”"], "type: theme", "sections[0].blocks[0]",
                                sub("type: lead", "type: theme")),
  "schema-year-out-of-range": ("年份写错", ["不能小于"], "year: 1025", "report.year", sub("year: 2025", "year: 1025")),
  "schema-page-size": ("不支持的开本", ["取值不在允许范围内", "A4"], "size: A3", "page.size",
                       sub("sections:\n", "page:\n  size: A3\nsections:\n")),
  "schema-number-as-title": ("标题是纯数字", ["应为文字", "引号"], "title: 2025", "sections[0].title",
                             sub("title: 工作回顾", "title: 2025")),
  "schema-unknown-icon": ("图标名拼错", ["factroy", "没有名为", "factory", "lucide.dev"], "icon: factroy",
                          "sections[1].blocks[0].themes[0].icon",
                          BASE + THEMES.replace("{url}", "常规事项").replace("          - title: 重点工作\n",
                                                                         "          - title: 重点工作\n            icon: factroy\n")),
  # ---- fonts
  "font-extension-b": ("CJK 扩展 B 区的字", ["U+20000", "不在随附字库里"], "𠀀", "sections[0].title",
                       sub("title: 工作回顾", "title: 工作回顾𠀀")),
  "font-emoji": ("表情符号", ["U+1F600", "表情符号"], "😀", "sections[0].blocks[0].text",
                 sub("。\n        figures", "😀。\n        figures")),
  "font-rare-name": ("人名里字库以外的生僻字（扩展 B 区）", ["𪚥", "U+2A6A5"], "𪚥", "report.issuer",
                     sub("issuer: 青禾镇人民政府", "issuer: 青禾镇人民政府王𪚥")),
  "font-zero-width-space": ("看不见的零宽空格", ["U+200B", "看不见"], "\u200b", "report.district",
                            sub("district: 青禾镇", "district: 青禾\u200b镇")),
  # ---- limits
  "limit-text-too-long": ("一条文字太长（误粘贴了整段）", ["600", "字"], "text: 全年", "sections[0].blocks[0].text",
                          sub("参保率达到{pension}。", "参保率达到{pension}。" + "这是误粘贴的一大段文字。" * 60)),
  "limit-too-many-items": ("列表项多到离谱", ["数据项太多"], None, None,
                           sub("keywords", "keywords") if False else BASE.replace("  issuer:", "  keywords: [" + ", ".join(["词"] * 25000) + "]\n  issuer:")),
  # ---- layout (these need a layout, ~2 s each)
  "layout-long-theme-title": ("小标题是一长串没有空格的英文", ["排版超出", "右边"], "title: 重点工作", "sections[1].blocks[0].themes[0].title",
                              BASE + THEMES.replace("{url}", "常规事项").replace("title: 重点工作", "title: 重点工作" + "KeyProjects" * 14)),
  "layout-chart-too-tall": ("图表太高，被页面底部切掉", ["排版超出", "底部"], "alt: ", "sections[0].blocks[1].alt",
                            sub("figures: [gdp]", "figures: [" + ", ".join(["gdp"] * 36) + "]")),
  "layout-cover-spills": ("封面标题太长，封面排成了两页", ["排版超出", "封面", "多出了"], None, None,
                          sub("title: 政府工作报告", "title: 政府工作报告" + "很长的标题" * 40)),
}


def write():
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.yaml"):
        old.unlink()
    for name, (situation, words, marker, field, body) in CASES.items():
        header = [f"# 情形：{situation}", "# 期望：" + "；".join(words)]
        text_body = body if isinstance(body, str) else None
        if field:
            header.append(f"# 字段：{field}")
        if marker and text_body is not None:
            offset = text_body.index(marker)
            line = len(header) + 1 + text_body[:offset].count("\n") + 1
            header.append(f"# 行：{line}")
        head = "\n".join(header) + "\n"
        if isinstance(body, bytes):
            enc = "utf-16" if body.startswith((b"\xff\xfe", b"\xfe\xff")) else "gb18030"
            # headers of foreign-encoded files are kept in the same encoding, as an editor would save them
            data = (head.encode(enc) if enc != "utf-16" else b"") + body
            if enc == "utf-16":
                data = (head + BASE).encode("utf-16")
        else:
            data = (head + body).encode("utf-8")
        (OUT / f"{name}.yaml").write_bytes(data)
    print(len(CASES), "cases")


if __name__ == "__main__":
    write()
