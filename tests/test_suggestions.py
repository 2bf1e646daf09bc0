"""Suggestions: a whole life through the API, every refused step with its error and an
unchanged database, and the deadlines of the Law on Deputies (3 and 6 months, overdue).
The report's figures are checked in test_suggestion_reports."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.suggestions import reply_due
from resolvers import suggestions as figures
from resolvers.mutations import suggestion_handling as steps
from resolvers.mutations import suggestions as writes
from resolvers.mutations.base import Invalid
from tests.conftest import GraphQLClient
from tests.duty import (
    ACTOR,
    ASSIGN,
    CREATE_CATEGORY,
    GUIYANG,
    RATE,
    REPLY,
    SUBMIT,
    SUPERVISE,
    assert_refused,
    gid,
    guizhou,
    link,
)
from tests.factories import congress_of, insert_row
from tests.mutations import mutate

LEAD, CO = "贵州省市场监督管理局", "贵州省发展和改革委员会"


def submission(g: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "congressId": gid("Congress", g["congress"]),
        "title": "关于优化营商环境的建议",
        "categoryId": gid("SuggestionCategory", g["categories"]["01.02"]),
        "submittedOn": "2024-01-20",
        "duringSession": True,
        "leadId": gid("Deputy", g["A"]),
        "cosignerIds": [gid("Deputy", g["B"]), gid("Deputy", g["C"])],
        **changes,
    }


async def submitted(admin: GraphQLClient, g: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return (await mutate(admin, SUBMIT, submission(g, **changes)))["suggestion"]


def handlers(assigned_on: str = "2024-02-26", complex: bool = False) -> dict[str, Any]:
    return {
        "assignedOn": assigned_on,
        "complex": complex,
        "handlers": [{"unit": LEAD, "role": "LEAD"}, {"unit": CO, "role": "CO"}],
    }


# ------------------------------------------------------------------------- the law's dates


async def test_reply_due_is_three_or_six_calendar_months_as_postgresql_counts(
    connection: AsyncConnection,
) -> None:
    """The deadline the mutation computes is the one the table's check accepts, month ends
    included (30 Nov + 3 months = 28 Feb; 31 Aug + 6 months = 28 Feb)."""
    rows = await connection.execute(
        text(
            "SELECT d::date, CAST(d + interval '3 months' AS date), "
            "CAST(d + interval '6 months' AS date) "
            "FROM generate_series(date '2023-01-01', date '2025-12-31', interval '1 day') d"
        )
    )
    for day, three, six in rows:
        assert reply_due(day, False) == three
        assert reply_due(day, True) == six
    assert reply_due(date(2024, 11, 30), False) == date(2025, 2, 28)
    assert reply_due(date(2024, 8, 31), True) == date(2025, 2, 28)


# ------------------------------------------------------------------- a life, through the API


async def test_a_suggestion_through_its_whole_life(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    s = await submitted(admin, g, title="  关于优化营商环境的建议 ")
    assert (s["status"], s["number"], s["title"]) == ("SUBMITTED", "0001", "关于优化营商环境的建议")
    assert (s["term"]["number"], s["category"]["code"], s["category"]["parent"]) == (
        14,
        "01.02",
        {"code": "01"},
    )
    assert s["lead"]["id"] == gid("Deputy", g["A"])
    assert {c["id"] for c in s["cosigners"]} == {gid("Deputy", g["B"]), gid("Deputy", g["C"])}
    assert (s["handlers"], s["keySupervision"], s["satisfaction"]) == ([], None, None)
    sid = s["id"]

    s = (await mutate(admin, ASSIGN, {"suggestionId": sid, **handlers()}))["suggestion"]
    assert s["status"] == "ASSIGNED"
    assert [(h["unit"], h["role"], h["assignedOn"], h["replyDue"]) for h in s["handlers"]] == [
        (LEAD, "LEAD", "2024-02-26", "2024-05-26"),
        (CO, "CO", "2024-02-26", "2024-05-26"),
    ]
    # Long past the reply date with no reply: overdue today.
    assert [h["overdue"] for h in s["handlers"]] == [True, True]

    reply = {"suggestionId": sid, "unit": LEAD, "repliedOn": "2024-05-20", "outcome": "SOLVED"}
    s = (await mutate(admin, REPLY, reply))["suggestion"]
    assert s["status"] == "ASSIGNED"  # the co-handler has not replied yet
    assert s["handlers"][0] | {"overdue": s["handlers"][0]["overdue"]} == {
        "unit": LEAD,
        "role": "LEAD",
        "assignedOn": "2024-02-26",
        "replyDue": "2024-05-26",
        "repliedOn": "2024-05-20",
        "outcome": "SOLVED",
        "overdue": False,
    }

    supervision = {
        "suggestionId": sid,
        "committeeId": gid("Committee", g["special"]),
        "leaderId": gid("Deputy", g["V"]),
        "since": "2024-03-05",
    }
    s = (await mutate(admin, SUPERVISE, supervision))["suggestion"]
    assert s["keySupervision"] == {
        "since": "2024-03-05",
        "committee": {"id": gid("Committee", g["special"])},
        "leader": {"id": gid("Deputy", g["V"])},
    }

    late = {"suggestionId": sid, "unit": CO, "repliedOn": "2024-06-10", "outcome": "IN_PROGRESS"}
    s = (await mutate(admin, REPLY, late))["suggestion"]
    assert s["status"] == "REPLIED"
    rating = {"suggestionId": sid, "satisfaction": "SATISFIED", "ratedOn": "2024-06-30"}
    s = (await mutate(admin, RATE, rating))["suggestion"]
    assert (s["status"], s["satisfaction"], s["ratedOn"]) == ("CLOSED", "SATISFIED", "2024-06-30")

    second = await submitted(admin, g, cosignerIds=[], submittedOn="2024-02-01")
    assert second["number"] == "0002"

    # Every list finds it by what it is, and only then.
    congress = gid("Congress", g["congress"])
    for matching, found in (
        ({"status": "CLOSED"}, [sid]),
        ({"status": "SUBMITTED"}, [second["id"]]),
        ({"keySupervised": True}, [sid]),
        ({"deputyId": gid("Deputy", g["C"])}, [sid]),
        ({"deputyId": gid("Deputy", g["A"])}, [second["id"], sid]),
        ({"unit": CO}, [sid]),
        ({"categoryId": gid("SuggestionCategory", g["categories"]["01"])}, [second["id"], sid]),
        ({"year": 2023}, []),
        ({"status": "ASSIGNED", "asOf": "2024-06-01"}, [sid]),
        ({"overdue": True, "asOf": "2024-06-01"}, [sid]),
        ({"overdue": True}, []),
        ({"regionCode": "520000"}, [second["id"], sid]),
        ({"regionCode": GUIYANG}, []),
    ):
        q = """query($f: SuggestionFilter) { suggestions(filter: $f) { totalCount nodes { id } } }"""
        data = await admin.data(q, {"f": {"congressId": congress, **matching}})
        assert [n["id"] for n in data["suggestions"]["nodes"]] == found, matching
        assert data["suggestions"]["totalCount"] == len(found)
    q = """query($id: ID!) { node(id: $id) { ... on Deputy { suggestions { nodes { id status } } } } }"""
    data = await admin.data(q, {"id": gid("Deputy", g["B"])})
    assert data["node"]["suggestions"]["nodes"] == [{"id": sid, "status": "CLOSED"}]
    q = """query($id: ID!) { node(id: $id) { ... on Suggestion { number lead { name } } } }"""
    assert (await admin.data(q, {"id": sid}))["node"] == {
        "number": "0001",
        "lead": {"name": "省代甲"},
    }


async def test_categories_are_created_in_two_levels(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    congress = gid("Congress", (await congress_of(connection, GUIYANG))["id"])
    top = await mutate(
        admin, CREATE_CATEGORY, {"congressId": congress, "code": "01", "name": "经济"}
    )
    sub = {
        "congressId": congress,
        "code": "01.01",
        "name": "产业",
        "parentId": top["category"]["id"],
    }
    child = await mutate(admin, CREATE_CATEGORY, sub)
    assert child["category"]["parent"] == {"id": top["category"]["id"]}
    deeper = {**sub, "code": "01.01.01", "parentId": child["category"]["id"]}
    await assert_refused(admin, connection, CREATE_CATEGORY, deeper, "CATEGORY_DEPTH", ["parentId"])
    await assert_refused(admin, connection, CREATE_CATEGORY, sub, "DUPLICATE_CATEGORY", ["code"])
    q = """query($id: ID!) { suggestionCategories(congressId: $id) { code children { code } } }"""
    assert (await admin.data(q, {"id": congress}))["suggestionCategories"] == [
        {"code": "01", "children": [{"code": "01.01"}]},
        {"code": "01.01", "children": []},
    ]


# ---------------------------------------------------------------------- every refused step


async def test_steps_out_of_order_are_refused_and_change_nothing(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    sid = (await submitted(admin, g))["id"]
    reply = {"suggestionId": sid, "unit": LEAD, "repliedOn": "2024-04-01", "outcome": "SOLVED"}
    rating = {"suggestionId": sid, "satisfaction": "SATISFIED", "ratedOn": "2024-06-30"}
    # A reply before assignment, a rating before any reply.
    await assert_refused(admin, connection, REPLY, reply, "NOT_ASSIGNED", ["suggestionId"])
    await assert_refused(admin, connection, RATE, rating, "NOT_REPLIED", ["suggestionId"])

    await mutate(admin, ASSIGN, {"suggestionId": sid, **handlers()})
    await assert_refused(
        admin, connection, ASSIGN, {"suggestionId": sid, **handlers()}, "ALREADY_ASSIGNED"
    )
    stranger = {**reply, "unit": "贵州省教育厅"}
    await assert_refused(admin, connection, REPLY, stranger, "UNIT_NOT_ASSIGNED", ["unit"])
    early = {**reply, "repliedOn": "2024-02-25"}
    await assert_refused(admin, connection, REPLY, early, "INVALID_VALUE", ["repliedOn"])
    ahead = {**reply, "repliedOn": "2999-01-01"}
    await assert_refused(admin, connection, REPLY, ahead, "INVALID_VALUE", ["repliedOn"])

    await mutate(admin, REPLY, reply)
    await assert_refused(admin, connection, REPLY, reply, "ALREADY_REPLIED", ["unit"])
    # One unit of two has replied: still no rating.
    await assert_refused(admin, connection, RATE, rating, "NOT_REPLIED", ["suggestionId"])
    await mutate(admin, REPLY, {**reply, "unit": CO, "repliedOn": "2024-05-01"})
    before_reply = {**rating, "ratedOn": "2024-04-30"}
    await assert_refused(admin, connection, RATE, before_reply, "INVALID_VALUE", ["ratedOn"])
    await mutate(admin, RATE, rating)
    again = {**rating, "satisfaction": "DISSATISFIED"}
    await assert_refused(admin, connection, RATE, again, "ALREADY_RATED", ["suggestionId"])
    supervise = {
        "suggestionId": sid,
        "committeeId": gid("Committee", g["special"]),
        "since": "2024-07-01",
    }
    await assert_refused(admin, connection, SUPERVISE, supervise, "ALREADY_CLOSED")


async def test_submission_rules(admin: GraphQLClient, connection: AsyncConnection) -> None:
    g = await guizhou(connection)
    deputy = lambda key: gid("Deputy", g[key])  # noqa: E731
    cases: list[tuple[dict[str, Any], str, list[str]]] = [
        # A county deputy, and a national deputy living in the province, are not its deputies.
        ({"leadId": deputy("K")}, "NOT_ELIGIBLE", ["leadId"]),
        ({"cosignerIds": [deputy("B"), deputy("N")]}, "NOT_ELIGIBLE", ["cosignerIds", "1"]),
        # Suspended since 2024-03-01: may sign before, not after.
        (
            {"cosignerIds": [deputy("S")], "submittedOn": "2024-03-02"},
            "NOT_ELIGIBLE",
            ["cosignerIds", "0"],
        ),
        ({"cosignerIds": [deputy("B"), deputy("B")]}, "DUPLICATE_SIGNER", ["cosignerIds", "1"]),
        ({"cosignerIds": [deputy("A")]}, "DUPLICATE_SIGNER", ["cosignerIds", "0"]),
        (
            {"categoryId": gid("SuggestionCategory", g["categories"]["01"])},
            "CATEGORY_HAS_SUBCATEGORIES",
            ["categoryId"],
        ),
        ({"title": "  "}, "INVALID_VALUE", ["title"]),
        ({"submittedOn": "2999-01-01"}, "INVALID_VALUE", ["submittedOn"]),
        ({"submittedOn": "1990-01-01"}, "NO_TERM", ["submittedOn"]),
        ({"leadId": gid("Congress", 1)}, "NOT_FOUND", ["leadId"]),
    ]
    for changes, code, field in cases:
        await assert_refused(admin, connection, SUBMIT, submission(g, **changes), code, field)
    elsewhere = (await congress_of(connection, GUIYANG))["id"]
    other = await insert_row(
        connection, "suggestion_categories", congress_id=elsewhere, code="01", name="经济"
    )
    foreign = {"categoryId": gid("SuggestionCategory", other)}
    await assert_refused(
        admin, connection, SUBMIT, submission(g, **foreign), "WRONG_CONGRESS", ["categoryId"]
    )
    ok = await submitted(admin, g, cosignerIds=[deputy("S")], submittedOn="2024-02-29")
    assert ok["status"] == "SUBMITTED"


async def test_assignment_and_supervision_rules(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    sid = (await submitted(admin, g))["id"]
    base = {"suggestionId": sid, "assignedOn": "2024-02-26"}
    for units, code, field in (
        ([], "INVALID_VALUE", ["handlers"]),
        ([{"unit": LEAD, "role": "CO"}], "INVALID_VALUE", ["handlers"]),
        (
            [{"unit": LEAD, "role": "LEAD"}, {"unit": CO, "role": "LEAD"}],
            "INVALID_VALUE",
            ["handlers"],
        ),
        (
            [{"unit": LEAD, "role": "LEAD"}, {"unit": f" {LEAD}", "role": "CO"}],
            "DUPLICATE_UNIT",
            ["handlers", "1", "unit"],
        ),
        ([{"unit": " ", "role": "LEAD"}], "INVALID_VALUE", ["handlers", "0", "unit"]),
    ):
        await assert_refused(admin, connection, ASSIGN, {**base, "handlers": units}, code, field)
    before = {**base, **handlers("2024-01-19")}
    await assert_refused(admin, connection, ASSIGN, before, "INVALID_VALUE", ["assignedOn"])

    city = await congress_of(connection, GUIYANG)
    city_committee = (
        await connection.execute(
            text("SELECT id FROM committees WHERE congress_id = :c ORDER BY id LIMIT 1"),
            {"c": city["id"]},
        )
    ).scalar_one()
    supervise = {
        "suggestionId": sid,
        "committeeId": gid("Committee", g["special"]),
        "since": "2024-03-05",
    }
    cases = (
        ({"committeeId": gid("Committee", city_committee)}, "WRONG_CONGRESS", ["committeeId"]),
        # A deputy who is no chair or vice-chair of the standing committee.
        ({"leaderId": gid("Deputy", g["B"])}, "NOT_A_LEADER", ["leaderId"]),
        ({"since": "2024-01-19"}, "INVALID_VALUE", ["since"]),
        ({"suggestionId": gid("Suggestion", 0)}, "NOT_FOUND", ["suggestionId"]),
    )
    for changes, code, field in cases:
        await assert_refused(admin, connection, SUPERVISE, {**supervise, **changes}, code, field)
    await mutate(admin, SUPERVISE, supervise)
    await assert_refused(
        admin, connection, SUPERVISE, supervise, "ALREADY_SUPERVISED", ["suggestionId"]
    )


async def test_an_editor_handles_only_suggestions_of_their_region(
    client: GraphQLClient, admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    sid = (await submitted(admin, g))["id"]
    outsider = client.as_role("editor", "220000")
    body = await outsider.post(ASSIGN, {"input": {"suggestionId": sid, **handlers()}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    insider = client.as_role("editor", "520000")
    done = await mutate(insider, ASSIGN, {"suggestionId": sid, **handlers()})
    assert done["suggestion"]["status"] == "ASSIGNED"


# ------------------------------------------------------------------------------- deadlines


async def test_deadlines_three_and_six_months_and_overdue_as_of_a_day(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    plain = (await submitted(admin, g, submittedOn="2024-11-20"))["id"]
    hard = (await submitted(admin, g, submittedOn="2024-11-21"))["id"]
    s = await mutate(admin, ASSIGN, {"suggestionId": plain, **handlers("2024-11-30")})
    assert {h["replyDue"] for h in s["suggestion"]["handlers"]} == {"2025-02-28"}
    s = await mutate(admin, ASSIGN, {"suggestionId": hard, **handlers("2024-11-30", complex=True)})
    assert {h["replyDue"] for h in s["suggestion"]["handlers"]} == {"2025-05-30"}

    q = """query($id: ID!) { node(id: $id) { ... on Suggestion { handlers {
        due: overdue(asOf: "2025-02-28") after: overdue(asOf: "2025-03-01")
        june: overdue(asOf: "2025-06-01") } } } }"""
    handler = (await admin.data(q, {"id": plain}))["node"]["handlers"][0]
    assert handler == {"due": False, "after": True, "june": True}
    handler = (await admin.data(q, {"id": hard}))["node"]["handlers"][0]
    assert handler == {"due": False, "after": False, "june": True}

    # A late reply: overdue until it came, then replied but not on time.
    late = {"suggestionId": plain, "repliedOn": "2025-03-10", "outcome": "SOLVED"}
    for unit in (LEAD, CO):
        await mutate(admin, REPLY, {**late, "unit": unit})
    q2 = """query($id: ID!) { node(id: $id) { ... on Suggestion { handlers {
        before: overdue(asOf: "2025-03-09") then: overdue(asOf: "2025-03-10") now: overdue } } } }"""
    handler = (await admin.data(q2, {"id": plain}))["node"]["handlers"][0]
    assert handler == {"before": True, "then": False, "now": False}

    listed = """query($f: SuggestionFilter) { suggestions(filter: $f) { nodes { id } } }"""
    congress = gid("Congress", g["congress"])
    for as_of, found in (("2025-02-28", []), ("2025-03-05", [plain]), ("2025-06-01", [hard])):
        data = await admin.data(
            listed, {"f": {"congressId": congress, "overdue": True, "asOf": as_of}}
        )
        assert [n["id"] for n in data["suggestions"]["nodes"]] == found, as_of
    report = """query($id: ID!, $asOf: Date) { reports { suggestions(congressId: $id, year: 2024,
        asOf: $asOf) { submitted assigned repliedOnTime overdue } } }"""
    for as_of, expected in (
        ("2025-03-05", {"submitted": 2, "assigned": 2, "repliedOnTime": 0, "overdue": 1}),
        ("2025-06-01", {"submitted": 2, "assigned": 2, "repliedOnTime": 0, "overdue": 1}),
        (None, {"submitted": 2, "assigned": 2, "repliedOnTime": 0, "overdue": 1}),
    ):
        data = await admin.data(report, {"id": congress, "asOf": as_of})
        assert data["reports"]["suggestions"] == expected, as_of


async def test_the_table_keeps_the_deadline_of_the_law(connection: AsyncConnection) -> None:
    """Whatever writes the row, a reply date other than 3 or 6 months is refused by PostgreSQL."""
    g = await guizhou(connection)
    sid = await insert_row(
        connection,
        "suggestions",
        congress_id=g["congress"],
        term_id=g["term"],
        number="0099",
        title="t",
        category_id=g["categories"]["01.01"],
        submitted_on=date(2024, 1, 20),
        during_session=True,
        lead_id=g["A"],
    )
    async with connection.begin_nested() as savepoint:
        with pytest.raises(Exception, match="ck_suggestion_handlers_due"):
            await link(
                connection,
                "suggestion_handlers",
                suggestion_id=sid,
                unit="U",
                role="LEAD",
                assigned_on=date(2024, 2, 1),
                reply_due=date(2024, 6, 1),
            )
        await savepoint.rollback()


async def test_domain_steps_refuse_out_of_order(connection: AsyncConnection) -> None:
    """The write functions themselves (what the mutations run inside a transaction)."""
    g = await guizhou(connection)
    spec = writes.SubmissionSpec(
        congress_id=gid("Congress", g["congress"]),
        title="关于加强基础教育的建议",
        category_id=gid("SuggestionCategory", g["categories"]["02.01"]),
        submitted_on=date(2024, 1, 20),
        during_session=True,
        lead_id=gid("Deputy", g["A"]),
    )
    key = await writes.submit_suggestion(connection, ACTOR, spec)
    sid = gid("Suggestion", key)

    async def refused_with(code: str, write: Any) -> None:
        with pytest.raises(Invalid) as caught:
            await write
        assert code in [p.code for p in caught.value.problems]

    await refused_with(
        "NOT_ASSIGNED",
        steps.reply_suggestion(
            connection, ACTOR, sid, "U", date(2024, 3, 1), steps.SuggestionOutcome.SOLVED
        ),
    )
    await refused_with(
        "NOT_REPLIED",
        steps.rate_suggestion(
            connection, ACTOR, sid, steps.Satisfaction.SATISFIED, date(2024, 3, 1)
        ),
    )
    lead = steps.HandlerSpec("U", steps.HandlerRole.LEAD)
    await steps.assign_suggestion(connection, ACTOR, sid, date(2024, 2, 1), [lead])
    row = (
        await connection.execute(figures.SUGGESTION_COLUMNS.where(figures.suggestions.c.id == key))
    ).one()
    assert row.status == "ASSIGNED"
    await steps.reply_suggestion(
        connection, ACTOR, sid, "U", date(2024, 3, 1), steps.SuggestionOutcome.SOLVED
    )
    await steps.rate_suggestion(
        connection, ACTOR, sid, steps.Satisfaction.SATISFIED, date(2024, 3, 2)
    )
    await refused_with(
        "ALREADY_RATED",
        steps.rate_suggestion(
            connection, ACTOR, sid, steps.Satisfaction.SATISFIED, date(2024, 3, 3)
        ),
    )
    row = (
        await connection.execute(figures.SUGGESTION_COLUMNS.where(figures.suggestions.c.id == key))
    ).one()
    assert row.status == "CLOSED"
