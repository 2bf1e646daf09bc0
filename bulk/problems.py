"""What goes wrong in a bulk import, in the one shape the mutations answer with.

A problem with a row is a `resolvers.mutations.base.Problem`: a stable code, a sentence,
and a field path that names the cell: ("line 12", "locality_code"), the file's line (1 is
the header) and the column's name as in the template (docs/import-format.md). A file that
cannot be read at all is a `BadFile`; an import past its time limit an `ImportTimeout`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from resolvers.mutations.base import Problem, Problems

LINE = "line "


def cell(line: int, column: str | None) -> tuple[str, ...]:
    """The field path of a cell (or of a whole line, without a column)."""
    return (f"{LINE}{line}",) if column is None else (f"{LINE}{line}", column)


def at(line: int, column: str | None, code: str, message: str) -> Problem:
    return Problem(cell(line, column), message, code)


def line_of(problem: Problem) -> int:
    return int(problem.field[0].removeprefix(LINE))


def column_of(problem: Problem) -> str | None:
    return problem.field[1] if len(problem.field) > 1 else None


def in_file_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (line_of(p), column_of(p) or "", p.code))


def as_json(problem: Problem) -> dict[str, Any]:
    """As the mutations' userErrors read: {"field": [...], "message": ..., "code": ...}."""
    return {"field": list(problem.field), "message": problem.message, "code": problem.code}


class RowProblems(Problems):
    """The problems of a file's rows, collected cell by cell."""

    def at(self, line: int, column: str | None, code: str, message: str) -> None:
        self.add(cell(line, column), message, code)

    def columns_of(self, line: int) -> set[str | None]:
        """The columns with problems on the line that is being read (the last so far)."""
        columns: set[str | None] = set()
        for problem in reversed(self.found):
            if line_of(problem) != line:
                break
            columns.add(column_of(problem))
        return columns


class BadFile(Exception):
    """The file cannot be read at all (not CSV or XLSX, no header, too many rows): answered
    with HTTP `status` and a stable `code`, and nothing is checked or written."""

    def __init__(self, message: str, code: str = Code.BAD_FILE, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class ImportTimeout(Exception):
    """The import ran past its time limit: nothing is written, and the answer says how far
    the checks got (`stage`, and the rows whose values were checked)."""

    def __init__(self, stage: str, rows_checked: int) -> None:
        super().__init__(f"time limit reached while {stage}")
        self.stage = stage
        self.rows_checked = rows_checked


# One statement of an import may take longer than a request's 15 s (a national roster on
# the command line, which has no time limit).
MAX_STATEMENT_MS = 10 * 60 * 1000


@dataclass
class Clock:
    """An import's deadline (time.monotonic()), or none. `tick` is called before each step:
    past the deadline it raises ImportTimeout; before it, it bounds the next SQL statement
    by the time that is left, so no statement can hold the import lock beyond it."""

    deadline: float | None = None
    stage: str = "reading"
    rows_checked: int = 0

    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def check(self, stage: str | None = None) -> None:
        if stage is not None:
            self.stage = stage
        left = self.left()
        if left is not None and left <= 0:
            raise ImportTimeout(self.stage, self.rows_checked)

    async def tick(self, conn: AsyncConnection, stage: str | None = None) -> None:
        self.check(stage)
        left = self.left()
        budget = MAX_STATEMENT_MS if left is None else min(MAX_STATEMENT_MS, int(left * 1000) + 1)
        await conn.execute(text(f"SET LOCAL statement_timeout = {budget}"))


Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    pass
