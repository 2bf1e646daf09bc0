"""Reference data every installation has: the division tree and the congresses the law puts in it.

Loaded by `registry migrate` after the schema migrations, once (it does nothing when the
regions are already there). Congresses, terms and committees are derived in SQL from
the regions, so the rules live in one place:
- a congress wherever the division table says has_congress (not 地区/盟, 街道, 400-599 units,
  Hong Kong, Macao or Taiwan);
- two terms each, the current one open-ended;
- a standing committee from county level up, none for a township congress (it has a
  presidium instead); special committees at national, provincial and prefectural level;
  working bodies of the standing committee from county level up.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

DIVISIONS_CSV = Path(__file__).resolve().parent.parent / "db" / "data" / "divisions.csv"

# Current term per level: its number and first day, and how both vary between congresses
# (a deterministic spread by region code, as local terms do not start on the same day).
CURRENT_TERMS = {
    "NATIONAL": ("14", "2023-03-05", "0"),
    "PROVINCIAL": ("14", "2023-01-05", "20"),
    "PREFECTURAL": ("9", "2021-12-20", "50"),
    "COUNTY": ("18", "2021-10-10", "60"),
    "TOWNSHIP": ("19", "2021-10-01", "60"),
}

SPECIAL_COMMITTEES = {
    "NATIONAL": [
        "民族委员会",
        "宪法和法律委员会",
        "监察和司法委员会",
        "财政经济委员会",
        "教育科学文化卫生委员会",
        "外事委员会",
        "华侨委员会",
        "环境与资源保护委员会",
        "农业与农村委员会",
        "社会建设委员会",
    ],
    "PROVINCIAL": [
        "法制委员会",
        "监察和司法委员会",
        "财政经济委员会",
        "教育科学文化卫生委员会",
        "环境与资源保护委员会",
        "农业与农村委员会",
        "社会建设委员会",
    ],
    "PREFECTURAL": ["法制委员会", "财政经济委员会", "教育科学文化卫生委员会", "农业与农村委员会"],
}

WORKING_BODIES = {
    "NATIONAL": ["法制工作委员会", "预算工作委员会", "代表工作委员会"],
    "PROVINCIAL": ["法制工作委员会", "预算工作委员会", "代表工作委员会"],
    "PREFECTURAL": ["法制工作委员会", "代表工作委员会"],
    "COUNTY": ["代表工作委员会"],
}


def read_divisions(path: Path = DIVISIONS_CSV) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def region_records(
    rows: list[dict[str, str]],
) -> list[tuple[str, str | None, str, str, str, list[str]]]:
    """(code, parent_code, level, kind, name, lineage), each lineage built from its parent's."""
    by_code = {r["code"]: r for r in rows}
    lineages: dict[str, list[str]] = {}

    def lineage_of(code: str) -> list[str]:
        if code not in lineages:
            parent = by_code[code]["parent_code"]
            lineages[code] = [*(lineage_of(parent) if parent else []), code]
        return lineages[code]

    return [
        (
            r["code"],
            r["parent_code"] or None,
            r["level"],
            r["kind"],
            r["name"],
            lineage_of(r["code"]),
        )
        for r in rows
    ]


async def load_reference_data(connection: AsyncConnection) -> bool:
    """Load divisions and derive congresses, terms and committees; False if already loaded."""
    if await connection.scalar(text("SELECT EXISTS (SELECT 1 FROM regions)")):
        return False
    rows = list(read_divisions())
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(
        "regions",
        records=region_records(rows),
        columns=["code", "parent_code", "level", "kind", "name", "lineage"],
    )
    with_congress = [r["code"] for r in rows if r["has_congress"] == "1"]
    await connection.execute(
        text(
            """
            INSERT INTO congresses (region_code, level, name)
            SELECT code, level,
                   CASE WHEN level = 'NATIONAL' THEN '全国人民代表大会'
                        ELSE name || '人民代表大会' END
            FROM regions WHERE code = ANY(:codes) ORDER BY lineage
            """
        ),
        {"codes": with_congress},
    )
    await _create_terms(connection)
    await _create_committees(connection)
    return True


async def _create_terms(connection: AsyncConnection) -> None:
    values = ", ".join(
        f"('{level}'::level, {number}, DATE '{start}', {spread})"
        for level, (number, start, spread) in CURRENT_TERMS.items()
    )
    await connection.execute(
        text(
            f"""
            WITH spec(level, number, start_date, spread) AS (VALUES {values}),
            current AS (
                SELECT c.id, s.number,
                       s.start_date + (CASE WHEN s.spread = 0 THEN 0
                                            ELSE c.region_code::bigint % s.spread END)::int
                           AS start_date
                FROM congresses c JOIN spec s USING (level)
            )
            INSERT INTO terms (congress_id, number, start_date, end_date)
            SELECT id, number - 1, (start_date - interval '5 years')::date, start_date - 1
            FROM current
            UNION ALL
            SELECT id, number, start_date, NULL FROM current
            """
        )
    )


async def _create_committees(connection: AsyncConnection) -> None:
    specs: list[tuple[str, str, str, int]] = []
    for level in ("NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY"):
        specs.append((level, "STANDING_COMMITTEE", "常务委员会", 0))
        for i, name in enumerate(SPECIAL_COMMITTEES.get(level, []), start=1):
            specs.append((level, "SPECIAL_COMMITTEE", name, i))
        for i, name in enumerate(WORKING_BODIES.get(level, []), start=100):
            specs.append((level, "WORKING_BODY", "常务委员会" + name, i))
    values = ", ".join(
        f"('{level}'::level, '{kind}'::committee_kind, '{name}', {order})"
        for level, kind, name, order in specs
    )
    await connection.execute(
        text(
            f"""
            INSERT INTO committees (congress_id, name, kind)
            SELECT c.id, c.name || s.name, s.kind
            FROM congresses c JOIN (VALUES {values}) AS s(level, kind, name, ord) USING (level)
            ORDER BY c.id, s.ord
            """
        )
    )
