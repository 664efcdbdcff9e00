"""The project's one error type: a problem a user can fix, said in Chinese.

Every stage raises :class:`ReportError` for bad input, so the CLI can print a
clear message naming file, line, column and field and exit non-zero, instead
of showing a Python traceback to a non-programmer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ReportError(Exception):
    """A user-facing error, located in a source file where possible."""

    message: str
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    field: str | None = None  # dotted path such as sections[0].blocks[1].title

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"文件 {self.file}")
        if self.line:
            where.append(f"第 {self.line} 行")
        if self.column:
            where.append(f"第 {self.column} 列")
        if self.field:
            where.append(f"字段 {self.field}")
        prefix = "，".join(where)
        return f"{prefix}：{self.message}" if prefix else self.message


class ReportErrors(ReportError):
    """Several user-facing errors found at once (e.g. by schema validation)."""

    def __init__(self, errors: list[ReportError], more: int = 0):
        self.errors = errors
        self.more = more  # further problems left out of the message
        first = errors[0] if errors else None
        super().__init__(message=first.message if first else "", file=first and first.file,
                         line=first and first.line, column=first and first.column, field=first and first.field)

    def __str__(self) -> str:
        if len(self.errors) == 1 and not self.more:
            return str(self.errors[0])
        lines = [f"发现 {len(self.errors) + self.more} 处问题：" + ("" if not self.more else f"（只列出前 {len(self.errors)} 处，改正后再运行会显示其余的）")]
        lines += [f"  {i}. {e}" for i, e in enumerate(self.errors, 1)]
        return "\n".join(lines)
