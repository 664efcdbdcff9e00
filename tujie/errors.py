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

    def __init__(self, errors: list[ReportError]):
        self.errors = errors
        super().__init__(message=errors[0].message if errors else "")

    def __str__(self) -> str:
        lines = [f"发现 {len(self.errors)} 处问题："]
        lines += [f"  {i}. {e}" for i, e in enumerate(self.errors, 1)]
        return "\n".join(lines)
