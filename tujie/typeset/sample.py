"""The typography sample page: each clreq rule set before and after, side by side.

``python render.py sample-typography`` writes ``output/typography/typography.pdf``
and a PNG of it. The left column of each row is WeasyPrint's own setting
(the patch switched off for that rule by its CSS custom property), the right
column is what the booklets get. A thin rule marks the column edges.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]

# (title, explanation, sample text, style of the "before" box, style of the "after" box, style of both)
RULES = [
    (
        "两端对齐",
        "WeasyPrint 只拉伸空格，中文段落右边参差不齐。现在多出的空间分摊到汉字之间，除末行外每行都对齐栏边；"
        "不拆开 1100、R&amp;D 这样的数字和西文，不加在“。”等标点之前、“（”之后。",
        "过去五年，地区生产总值、工业总产值2019年分别突破1100亿元、3000亿元，R&amp;D经费支出占比达到3.97%；"
        "“城市双眼”成为城东新地标，“四港联动”的立体式综合交通体系全面建成（见《规划》）。",
        "--text-justify: inter-word",
        "",
        "text-align: justify",
    ),
    (
        "行首行尾禁则",
        "Pango 按 Unicode 规则断行，间隔号“·”、分隔号“／”、浪纹线“～”会出现在行首。现在句号、逗号、后引号、"
        "后括号和这些符号都不在行首，前引号、前括号不在行尾，“——”“……”不断开。",
        "会议请来研究院的多位专家学者，一起研读马克思·恩格斯的著作，讨论城市建设两套方案：方案甲／方案乙。"
        "会议确定一般项目的施工周期控制在三～五个月，各方意见已经汇总——最后形成纪要，报区政府审定。",
        "--line-break: auto",
        "",
        "text-align: justify",
    ),
    (
        "标点挤压",
        "两个全角标点相邻、空白相遇时（例如 。” 或 ）、 或 ：“ ），一个只占半个字宽，两个合占 1.5 个字宽而不是 2 个，"
        "这是大陆书刊通行的做法；报告数据里写 punctuation: full-width 可改回全角。上方标尺每格一个字宽。",
        "他说：“好。”“钱塘”（注）、《规划》。",
        "--text-spacing-trim: space-all",
        "",
        "text-align: start",
    ),
    (
        "中西文间距",
        "默认关闭，公文习惯让“1100亿元”紧排；报告数据里写 han_latin_space: true 后，汉字与西文字母、"
        "数字之间留四分之一字宽（只加间距，不插入空格，复制出的文字不变）。",
        "2021年GDP增长8.5%，R&amp;D投入3.97亿元，5G基站达到1200个。",
        "",
        "--text-autospace: normal",
        "text-align: start",
    ),
    (
        "段落",
        "正文段落首行缩进两个字；段落在页底、页首都至少保留两行（孤行控制）；标题不单独留在页底。",
        "钱塘区坚持以人民为中心的发展思想，持续办好民生实事，人民群众获得感、幸福感、安全感不断增强，"
        "全面实现幼有善育、学有优教、病有良医、老有所养。",
        "text-indent: 0",
        "text-indent: 2em",
        "text-align: justify",
    ),
]


INTRO = ("依据 W3C《中文排版需求》（clreq）基本要求和 GB/T 15834—2011《标点符号用法》。每项左边是 WeasyPrint "
         "自带的排法，右边是本项目生成小册子时的排法；示例框左右两条细线是栏的边界。这些规则都只调整间距，"
         "不往文字里插入任何字符，复制出的文字与数据一致。")


def sample_html(font_faces: str) -> str:
    rows = []
    for title, explanation, text, before, after, both in RULES:
        # compression is measured in ems: a ruler of one-em cells above the text
        ruler = '<div class="ruler">' + "<span></span>" * 22 + "</div>" if title == "标点挤压" else ""
        boxes = "".join(
            f'<td><div class="label">{label}</div>{ruler}<p class="box {kind}" style="{both}; {style}">{text}</p></td>'
            for label, kind, style in (("排版前（WeasyPrint 默认）", "before", before), ("排版后", "after", after))
        )
        rows.append(f'<section><h2>{escape(title)}</h2>'
                    f'<p class="why">{explanation}</p><table><tr>{boxes}</tr></table></section>')
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>中文排版规则示例</title>
<style>
{font_faces}
@page {{ size: A4; margin: 12mm 12mm 10mm; }}
html {{ font-family: "Noto Sans SC"; font-size: 10pt; line-height: 1.7; color: #1f2a3c;
        --text-justify: inter-character; --line-break: strict; --text-spacing-trim: normal;
        --text-autospace: no-autospace; overflow-wrap: break-word; orphans: 2; widows: 2; }}
body {{ margin: 0; }}
h1 {{ font-size: 17pt; margin: 0 0 1mm; color: #0b3d7a; }}
.intro {{ margin: 0 0 2mm; font-size: 8.5pt; line-height: 1.6; color: #5b6b80; text-align: justify; }}
h2 {{ font-size: 11.5pt; margin: 3mm 0 0.5mm; color: #0b3d7a; break-after: avoid; }}
.why {{ font-size: 8pt; line-height: 1.55; color: #5b6b80; margin: 0 0 1mm; text-align: justify; }}
table {{ border-collapse: collapse; }}
td {{ vertical-align: top; padding: 0 7mm 0 0; }}
.label {{ font-size: 7.5pt; line-height: 1.4; color: #8a97a8; }}
.box {{ width: 22em; margin: 0; border-left: 0.5pt solid #d9534f; border-right: 0.5pt solid #d9534f;
        background: #f3f6fa; }}
.box.after {{ background: #eaf6ee; }}
.ruler {{ width: 22em; line-height: 0; border-left: 0.5pt solid #d9534f; border-right: 0.5pt solid #d9534f; }}
.ruler span {{ display: inline-block; width: 1em; height: 1.2mm; background: #c9d3e0; }}
.ruler span:nth-child(2n) {{ background: #e8edf4; }}
</style></head><body>
<h1>中文排版规则示例</h1>
<p class="intro">{INTRO}</p>
{''.join(rows)}
</body></html>"""


def write_sample(output: Path) -> tuple[Path, Path]:
    """Write the sample page as PDF and PNG into ``output``; return both paths."""
    import pypdfium2
    from weasyprint import HTML

    from ..build import font_files
    from . import install

    install()
    faces = "\n".join(f'@font-face {{ font-family: "Noto Sans SC"; font-weight: {weight}; src: url("{url}"); }}'
                      for weight, url in font_files(PROJECT / "fonts").items())
    output.mkdir(parents=True, exist_ok=True)
    pdf, png = output / "typography.pdf", output / "typography.png"
    HTML(string=sample_html(faces), base_url=str(PROJECT) + "/").write_pdf(pdf)
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        document[0].render(scale=150 / 72).to_pil().save(png)
    finally:
        document.close()
    return pdf, png
