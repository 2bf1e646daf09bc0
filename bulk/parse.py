"""Reading a whole import file: its header, each row's values (bulk.values), and the rules
between the cells of one row, all before any row is staged."""

from __future__ import annotations

from datetime import date
from typing import Any

from bulk.columns import KINDS
from bulk.files import read_rows
from bulk.problems import BadFile, Clock, Progress, RowProblems, no_progress
from bulk.values import PHONE, convert, id_birth_date, id_number_problem, pinyin_keys
from core.codes import Code


def check_deputy(v: dict[str, Any], line: int, problems: RowProblems) -> None:
    """The rules of one deputies row that need no database; fills the derived values."""

    def bad(column: str, code: str, message: str) -> None:
        problems.at(line, column, code, message)

    name = v["name"]
    if name is not None and len(name) > 40:
        bad("name", Code.INVALID_VALUE, "A name has 1 to 40 characters.")
    if v["id_number"] is not None:
        v["id_number"] = v["id_number"].upper()
        problem = id_number_problem(v["id_number"])
        if problem:
            bad("id_number", Code.INVALID_VALUE, problem[0].upper() + problem[1:] + ".")
        else:
            born = id_birth_date(v["id_number"])
            if v["birth_date"] is None:
                v["birth_date"] = born
            elif v["birth_date"] != born:
                bad("birth_date", Code.INVALID_VALUE, f"The ID number says born on {born}.")
    elif v["birth_date"] is None and "birth_date" not in problems.columns_of(line):
        bad(
            "id_number",
            Code.REQUIRED,
            "A person is identified by the ID number, or by name, birth date and locality: "
            "give the ID number or the birth date.",
        )
    if v["birth_date"] is not None:
        if v["birth_year"] is not None and v["birth_year"] != v["birth_date"].year:
            bad("birth_year", Code.INVALID_VALUE, "The birth year differs from the birth date.")
        v["birth_year"] = v["birth_date"].year
    if v["birth_year"] is not None and not 1900 <= v["birth_year"] <= date.today().year - 18:
        bad("birth_year", Code.INVALID_VALUE, "A deputy is born after 1900 and is 18 or older.")
    if v["phone"] is not None and not PHONE.match(v["phone"]):
        bad("phone", Code.INVALID_VALUE, "A phone number has 7 to 20 digits.")
    if v["status"] is None:  # blank: what the dates say
        v["status"] = "TERMINATED" if v["end_date"] else "ACTIVE"
    status = v["status"]
    if (status == "TERMINATED") != (v["end_date"] is not None):
        bad("end_date", Code.INVALID_VALUE, "A TERMINATED mandate, and only one, has an end date.")
    if status != "TERMINATED" and v["end_reason"] is not None:
        bad("end_reason", Code.INVALID_VALUE, "Only a TERMINATED mandate has an end reason.")
    if status == "SUSPENDED" and v["suspended_from"] is None:
        bad("suspended_from", Code.REQUIRED, "A SUSPENDED mandate needs suspended_from.")
    if v["suspended_until"] is not None and (
        v["suspended_from"] is None or v["suspended_until"] < v["suspended_from"]
    ):
        bad("suspended_until", Code.BAD_DATE, "suspended_until comes after suspended_from.")
    if name is not None:
        v["name_pinyin"], v["search_vector"] = pinyin_keys(name)
    if v["id_number"] is not None:
        v["pkey"] = "id:" + v["id_number"]
    elif v["birth_date"] is not None and name is not None and v["locality_code"] is not None:
        v["pkey"] = f"nb:{name}|{v['birth_date'].isoformat()}|{v['locality_code']}"


def check_link(kind: str, v: dict[str, Any], line: int, problems: RowProblems) -> None:
    """A link row names a deputy and its target by ID or by natural key."""
    person = (
        v["deputy_id"] is not None
        or v["id_number"] is not None
        or (
            v["name"] is not None and v["birth_date"] is not None and v["locality_code"] is not None
        )
    )
    if not person:
        problems.at(
            line,
            "deputy_id",
            Code.REQUIRED,
            "Name the deputy: deputy_id, or id_number, or name + birth_date + locality_code.",
        )
    if v["id_number"] is not None:
        v["id_number"] = v["id_number"].upper()
    target = KINDS[kind].target
    assert target is not None
    target_id, natural = target
    if v[target_id] is None and any(v[c] is None for c in natural):
        problems.at(
            line,
            target_id,
            Code.REQUIRED,
            f"Name the target: {target_id}, or {' + '.join(natural)}.",
        )


# ---------------------------------------------------------------- a whole file


def parse(
    kind: str,
    data: bytes,
    fmt: str,
    progress: Progress = no_progress,
    max_rows: int | None = None,
    clock: Clock | None = None,
) -> tuple[list[tuple[Any, ...]], RowProblems]:
    """The staging records of a file (line first) and the problems found in its values.

    More than `max_rows` rows is a BadFile (TOO_MANY_ROWS) as soon as the next row is read;
    the clock's deadline is looked at every 1,000 rows."""
    clock = clock or Clock()
    spec = KINDS[kind]
    problems = RowProblems()
    rows = read_rows(data, fmt)
    first = next(rows, None)
    if first is None:
        raise BadFile("the file is empty: its first line names the columns")
    by_header = spec.by_header()
    positions: dict[str, int] = {}
    for i, cell in enumerate(first[1]):
        title = (cell or "").strip()
        col = by_header.get(title) or by_header.get(title.lower())
        if col is None:
            if title:
                problems.at(1, title, Code.UNKNOWN_COLUMN, f"There is no column {title!r}.")
        elif col.name in positions:
            problems.at(1, title, Code.DUPLICATE_COLUMN, f"{col.name} appears twice.")
        else:
            positions[col.name] = i
    for col in spec.columns:
        if col.required and col.name not in positions:
            problems.at(1, col.name, Code.MISSING_COLUMN, f"The column {col.name} is missing.")
    if problems and len(positions) == 0:
        raise BadFile(f"its first line names no column of a {kind} file")
    if problems:
        return [], problems
    check = check_deputy if kind == "deputies" else None
    present = [(c, positions[c.name]) for c in spec.columns if c.name in positions]
    # Absent optional columns and derived values start blank.
    blank = dict.fromkeys([c.name for c in spec.columns if c.name not in positions])
    blank.update(dict.fromkeys(spec.derived))
    names = spec.column_names()
    records: list[tuple[Any, ...]] = []
    for line, cells in rows:
        if not any(c is not None and str(c).strip() for c in cells):
            continue  # a blank line
        width = len(cells)
        v = dict(blank)
        for c, i in present:
            v[c.name] = convert(c, cells[i] if i < width else None, line, problems)
        if check is not None:
            check(v, line, problems)
        else:
            check_link(kind, v, line, problems)
        if max_rows is not None and len(records) >= max_rows:
            raise BadFile(
                f"it has more than {max_rows:,} rows, the most one import takes "
                "(REGISTRY_IMPORT_MAX_ROWS): split it",
                code=Code.TOO_MANY_ROWS,
                status=413,
            )
        records.append((line, *[v[n] for n in names]))
        if len(records) % 1_000 == 0:
            clock.rows_checked = len(records)
            clock.check("reading")
        if len(records) % 10_000 == 0:
            progress("reading", len(records), 0)
    progress("reading", len(records), len(records))
    clock.rows_checked = len(records)
    return records, problems
