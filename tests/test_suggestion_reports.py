"""Reports.suggestions: every figure against independently built data (hand-built rows with
answers counted by hand and by the definitions in Python, and the seed's raw rows), the
seeded suggestions against the rules, and the CSV exports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.session import RequestDatabase
from resolvers import suggestions as figures
from tests.conftest import GraphQLClient
from tests.duty import GUIYANG, gid, guizhou, link
from tests.factories import congress_of, insert_row

# ------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class Built:
    """A suggestion as the report test builds it, straight into the tables."""

    category: str
    submitted: date
    handlers: tuple[tuple[str, str, date, date, date | None], ...] = ()
    rating: tuple[str, date] | None = None
    supervised: date | None = None
    congress: str = "province"


D = date
BUILT = [
    Built(
        "01.01",
        D(2024, 1, 20),
        (("U1", "LEAD", D(2024, 2, 26), D(2024, 5, 26), D(2024, 5, 1)),),
        ("SATISFIED", D(2024, 6, 1)),
        D(2024, 3, 1),
    ),
    Built(
        "01.02",
        D(2024, 1, 21),
        (
            ("U1", "LEAD", D(2024, 2, 26), D(2024, 5, 26), D(2024, 6, 10)),
            ("U2", "CO", D(2024, 2, 26), D(2024, 5, 26), D(2024, 5, 20)),
        ),
        ("BASICALLY_SATISFIED", D(2024, 7, 1)),
    ),
    Built("02.01", D(2024, 1, 22), (("U2", "LEAD", D(2024, 2, 26), D(2024, 8, 26), None),)),
    Built(
        "03",
        D(2024, 6, 15),
        (("U3", "LEAD", D(2024, 7, 1), D(2024, 10, 1), D(2024, 9, 15)),),
        ("DISSATISFIED", D(2024, 10, 10)),
        D(2024, 7, 5),
    ),
    Built("01.01", D(2024, 11, 2)),
    # Another year, and another congress: counted in neither report of the province for 2024.
    Built(
        "01.01",
        D(2023, 5, 5),
        (("U1", "LEAD", D(2023, 6, 1), D(2023, 9, 1), D(2023, 7, 1)),),
        ("SATISFIED", D(2023, 8, 1)),
    ),
    Built(
        "01.01",
        D(2024, 3, 3),
        (("U1", "LEAD", D(2024, 4, 1), D(2024, 7, 1), None),),
        congress="city",
    ),
]


async def build(connection: AsyncConnection, g: dict[str, Any], built: Iterable[Built]) -> None:
    city = await congress_of(connection, GUIYANG)
    city_categories = {
        "01.01": await insert_row(
            connection, "suggestion_categories", congress_id=city["id"], code="01", name="经济"
        )
    }
    for n, b in enumerate(built, start=1):
        province = b.congress == "province"
        sid = await insert_row(
            connection,
            "suggestions",
            congress_id=g["congress"] if province else city["id"],
            term_id=g["term"] if province else city["term_id"],
            number=f"{n:04d}",
            title=f"建议{n}",
            category_id=(g["categories"] if province else city_categories)[b.category],
            submitted_on=b.submitted,
            during_session=False,
            lead_id=g["A"],
            satisfaction=b.rating[0] if b.rating else None,
            rated_on=b.rating[1] if b.rating else None,
        )
        for unit, role, assigned, due, replied in b.handlers:
            await link(
                connection,
                "suggestion_handlers",
                suggestion_id=sid,
                unit=unit,
                role=role,
                assigned_on=assigned,
                reply_due=due,
                replied_on=replied,
                outcome="SOLVED" if replied else None,
            )
        if b.supervised:
            await link(
                connection,
                "key_supervisions",
                suggestion_id=sid,
                committee_id=g["special"],
                since=b.supervised,
            )


def expected(built: list[Built], year: int, as_of: date) -> dict[str, Any]:
    """Reports.suggestions computed in Python from the definitions, for the province."""
    chosen = [
        b
        for b in built
        if b.congress == "province" and b.submitted.year == year and b.submitted <= as_of
    ]
    taken = lambda day: day is not None and day <= as_of  # noqa: E731
    rated = [b for b in chosen if b.rating and taken(b.rating[1])]
    satisfied = [b for b in rated if b.rating and b.rating[0] != "DISSATISFIED"]

    def late(h: tuple[str, str, date, date, date | None]) -> bool:
        return h[3] < as_of and not taken(h[4])

    units: dict[str, list[int]] = {}
    for b in chosen:
        for h in b.handlers:
            if h[2] <= as_of:
                u = units.setdefault(h[0], [0, 0, 0, 0, 0])
                on_time = taken(h[4]) and h[4] <= h[3]  # type: ignore[operator]
                good = b in satisfied
                for i, flag in enumerate((True, taken(h[4]), on_time, late(h), good)):
                    u[i] += int(bool(flag))
    assigned = [b for b in chosen if b.handlers and b.handlers[0][2] <= as_of]
    return {
        "submitted": len(chosen),
        "assigned": len(assigned),
        "closed": len(rated),
        "keySupervised": sum(1 for b in chosen if taken(b.supervised)),
        "repliedOnTime": sum(
            1
            for b in assigned
            if all(taken(h[4]) and h[4] <= h[3] for h in b.handlers)  # type: ignore[operator]
        ),
        "overdue": sum(1 for b in assigned if any(late(h) for h in b.handlers)),
        "satisfactionRatio": len(satisfied) / len(rated) if rated else 0.0,
        "byUnit": [
            dict(
                zip(
                    ("unit", "assigned", "replied", "repliedOnTime", "overdue", "satisfied"),
                    (unit, *counts),
                    strict=True,
                )
            )
            for unit, counts in sorted(units.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ],
        "byCategory": {
            top: sum(1 for b in chosen if b.category.split(".")[0] == top)
            for top in ("01", "02", "03")
        },
        "bySubcategory": {
            sub: sum(1 for b in chosen if b.category == sub) for sub in ("01.01", "01.02", "02.01")
        },
    }


REPORT = """query($id: ID!, $year: Int!, $asOf: Date) { reports { suggestions(congressId: $id,
  year: $year, asOf: $asOf) { submitted assigned closed keySupervised repliedOnTime overdue
  satisfactionRatio byUnit { unit assigned replied repliedOnTime overdue satisfied }
  byCategory { category { code name } count } bySubcategory { category { code } count } } } }"""


async def test_report_figures_against_hand_built_data(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    await build(connection, g, BUILT)
    congress = gid("Congress", g["congress"])
    data = await admin.data(REPORT, {"id": congress, "year": 2024, "asOf": "2024-12-31"})
    report = data["reports"]["suggestions"]
    # Known answers, counted by hand.
    assert {k: report[k] for k in ("submitted", "assigned", "closed", "keySupervised")} == {
        "submitted": 5,
        "assigned": 4,
        "closed": 3,
        "keySupervised": 2,
    }
    assert (report["repliedOnTime"], report["overdue"]) == (2, 1)
    assert report["satisfactionRatio"] == pytest.approx(2 / 3)
    assert [
        (u["unit"], u["assigned"], u["replied"], u["repliedOnTime"], u["overdue"], u["satisfied"])
        for u in report["byUnit"]
    ] == [("U1", 2, 2, 1, 0, 2), ("U2", 2, 1, 1, 1, 1), ("U3", 1, 1, 1, 0, 0)]
    assert [(c["category"]["code"], c["count"]) for c in report["byCategory"]] == [
        ("01", 3),
        ("02", 1),
        ("03", 1),
    ]
    # And at several days, against the definitions computed in Python.
    for as_of in ("2024-01-21", "2024-05-15", "2024-06-05", "2024-08-27", "2024-12-31", None):
        day = date.fromisoformat(as_of) if as_of else date.today()
        data = await admin.data(REPORT, {"id": congress, "year": 2024, "asOf": as_of})
        report, want = data["reports"]["suggestions"], expected(BUILT, 2024, day)
        for key in (
            "submitted",
            "assigned",
            "closed",
            "keySupervised",
            "repliedOnTime",
            "overdue",
            "byUnit",
        ):
            assert report[key] == want[key], (as_of, key)
        assert report["satisfactionRatio"] == pytest.approx(want["satisfactionRatio"])
        assert {c["category"]["code"]: c["count"] for c in report["byCategory"]} == want[
            "byCategory"
        ]
        assert {c["category"]["code"]: c["count"] for c in report["bySubcategory"]} == want[
            "bySubcategory"
        ]


async def test_report_sql_directly(connection: AsyncConnection) -> None:
    """The report's statements on the same data, without the API."""
    g = await guizhou(connection)
    await build(connection, g, BUILT)
    db = RequestDatabase(connection=connection)
    for day in (date(2024, 5, 15), date(2024, 6, 5), date(2024, 12, 31)):
        totals = await figures.suggestion_totals(db, g["congress"], 2024, day)
        want = expected(BUILT, 2024, day)
        assert (totals.submitted, totals.assigned, totals.closed, totals.key_supervised) == (
            want["submitted"],
            want["assigned"],
            want["closed"],
            want["keySupervised"],
        )
        assert (totals.replied_on_time, totals.overdue) == (want["repliedOnTime"], want["overdue"])
        units = await figures.suggestions_by_unit(db, g["congress"], 2024, day)
        assert [u.unit for u in units] == [u["unit"] for u in want["byUnit"]]


# -------------------------------------------------------------------------- on the seed


SEEDED_RULES = {
    "signers not in office in the congress on the day": """
        WITH signer AS (
            SELECT s.congress_id, s.submitted_on AS day, s.lead_id AS deputy_id FROM suggestions s
            UNION ALL
            SELECT s.congress_id, s.submitted_on, c.deputy_id
            FROM suggestions s JOIN suggestion_cosigners c ON c.suggestion_id = s.id)
        SELECT count(*) FROM signer g WHERE NOT EXISTS (
            SELECT 1 FROM mandates m WHERE m.deputy_id = g.deputy_id AND m.congress_id = g.congress_id
              AND m.start_date <= g.day AND (m.end_date IS NULL OR g.day <= m.end_date)
              AND NOT (m.suspended_from IS NOT NULL AND m.suspended_from <= g.day
                       AND (m.suspended_until IS NULL OR g.day <= m.suspended_until)))""",
    "steps out of date order": """
        SELECT count(*) FROM suggestions s JOIN suggestion_handlers h ON h.suggestion_id = s.id
        WHERE h.assigned_on < s.submitted_on
           OR (s.rated_on IS NOT NULL AND (h.replied_on IS NULL OR s.rated_on < h.replied_on))""",
    "rated without any handler": """
        SELECT count(*) FROM suggestions s WHERE s.rated_on IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM suggestion_handlers h WHERE h.suggestion_id = s.id)""",
    "not exactly one lead unit": """
        SELECT count(*) FROM (SELECT suggestion_id FROM suggestion_handlers GROUP BY 1
                              HAVING count(*) FILTER (WHERE role = 'LEAD') <> 1) x""",
    "filed under a category with subcategories": """
        SELECT count(*) FROM suggestions s
        WHERE EXISTS (SELECT 1 FROM suggestion_categories c WHERE c.parent_id = s.category_id)""",
    "term not in force on the day": """
        SELECT count(*) FROM suggestions s JOIN terms t ON t.id = s.term_id
        WHERE s.submitted_on < t.start_date OR s.submitted_on > t.end_date""",
    "supervision by another congress, too early, after closing or by no leader": """
        SELECT count(*) FROM key_supervisions k JOIN suggestions s ON s.id = k.suggestion_id
        JOIN committees c ON c.id = k.committee_id
        WHERE c.congress_id <> s.congress_id OR k.since < s.submitted_on
           OR k.since >= coalesce(s.rated_on, 'infinity'::date)
           OR (k.leader_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM committee_memberships cm JOIN committees sc ON sc.id = cm.committee_id
                WHERE sc.congress_id = s.congress_id AND sc.kind = 'STANDING_COMMITTEE'
                  AND cm.deputy_id = k.leader_id AND cm.role IN ('CHAIR', 'VICE_CHAIR')
                  AND cm.start_date <= k.since AND (cm.end_date IS NULL OR cm.end_date >= k.since)))""",
}


async def test_seeded_suggestions_keep_the_rules(connection: AsyncConnection) -> None:
    for rule, sql in SEEDED_RULES.items():
        assert await connection.scalar(text(sql)) == 0, rule
    counts = (
        await connection.execute(
            text(
                "SELECT (SELECT count(*) FROM suggestions), (SELECT count(*) FROM key_supervisions), "
                "(SELECT count(*) FROM suggestion_categories WHERE parent_id IS NULL), "
                "(SELECT count(*) FROM suggestions WHERE rated_on IS NULL)"
            )
        )
    ).one()
    assert counts[0] > 1000 and counts[1] > 10 and counts[2] > 0 and counts[3] > 0


async def test_seeded_report_matches_a_second_formulation(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    """Jilin province, 2025: the API against the raw rows counted in Python."""
    congress = (await congress_of(connection, "220000"))["id"]
    rows = (
        await connection.execute(
            text(
                """SELECT s.id, k.code, s.submitted_on, s.satisfaction::text, s.rated_on,
                  (SELECT since FROM key_supervisions x WHERE x.suggestion_id = s.id),
                  coalesce((SELECT array_agg(ARRAY[h.unit, h.role::text, h.assigned_on::text,
                             h.reply_due::text, coalesce(h.replied_on::text, '')])
                            FROM suggestion_handlers h WHERE h.suggestion_id = s.id), '{}')
           FROM suggestions s JOIN suggestion_categories k ON k.id = s.category_id
           WHERE s.congress_id = :c"""
            ),
            {"c": congress},
        )
    ).all()
    assert len(rows) > 100
    built = [
        Built(
            code,
            submitted,
            tuple(
                (
                    h[0],
                    h[1],
                    D.fromisoformat(h[2]),
                    D.fromisoformat(h[3]),
                    D.fromisoformat(h[4]) if h[4] else None,
                )
                for h in handlers_
            ),
            (satisfaction, rated_on) if rated_on else None,
            since,
        )
        for _, code, submitted, satisfaction, rated_on, since, handlers_ in rows
    ]
    for as_of in ("2025-04-30", "2025-12-31"):
        data = await admin.data(
            REPORT, {"id": gid("Congress", congress), "year": 2025, "asOf": as_of}
        )
        report, want = (
            data["reports"]["suggestions"],
            expected(built, 2025, date.fromisoformat(as_of)),
        )
        for key in (
            "submitted",
            "assigned",
            "closed",
            "keySupervised",
            "repliedOnTime",
            "overdue",
            "byUnit",
        ):
            assert report[key] == want[key], (as_of, key)
        assert report["satisfactionRatio"] == pytest.approx(want["satisfactionRatio"])
        by_top: dict[str, int] = {}
        for b in built:
            if b.submitted <= date.fromisoformat(as_of):
                by_top[b.category.split(".")[0]] = by_top.get(b.category.split(".")[0], 0) + 1
        assert {c["category"]["code"]: c["count"] for c in report["byCategory"]} == {
            c["category"]["code"]: by_top.get(c["category"]["code"], 0)
            for c in report["byCategory"]
        }
        assert len(report["byCategory"]) == 13 and len(report["bySubcategory"]) == 30


async def test_csv_exports_have_the_report_figures(
    http: Any, admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    await build(connection, g, BUILT)
    params = {"congressId": gid("Congress", g["congress"]), "year": "2024", "asOf": "2024-12-31"}
    totals = (await http.get("/reports/suggestions.csv", params=params)).content.decode("utf-8-sig")
    assert totals.splitlines() == [
        "submitted,assigned,closed,key_supervised,replied_on_time,overdue,satisfaction_ratio",
        "5,4,3,2,2,1,0.6667",
    ]
    units = (await http.get("/reports/suggestions-by-unit.csv", params=params)).content.decode(
        "utf-8-sig"
    )
    assert units.splitlines()[1:] == ["U1,2,2,1,0,2", "U2,2,1,1,1,1", "U3,1,1,1,0,0"]
    kinds = (await http.get("/reports/suggestions-by-category.csv", params=params)).content.decode(
        "utf-8-sig"
    )
    assert kinds.splitlines()[:3] == [
        "code,category,suggestions",
        "01,经济发展,3",
        "01.01,产业发展,2",
    ]
    bad = await http.get("/reports/suggestions.csv", params={**params, "year": "this year"})
    assert bad.status_code == 400
