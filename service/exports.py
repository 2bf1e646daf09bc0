"""Reports as CSV downloads (UTF-8 with BOM, so Excel shows the Chinese names), at
/reports/<report>.csv with the same arguments as the GraphQL fields.

A request is authenticated exactly as /graphql is (service.auth: a bad, expired or revoked
token is 401), and the caller is passed to the same report code (resolvers/reports.py), so
the role rules on personal data (ages by birth year for callers who may not see birth
dates) hold here as in GraphQL. Every parameter is checked before any SQL runs: a bad value
gets 400 with a JSON body {"error": sentence, "code": stable code}.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.codes import Code
from core.context import Caller
from core.settings import Settings
from db.activities import ActivityKind
from db.columns import table_of
from db.regions import Region as RegionRow
from db.session import RequestDatabase
from resolvers import activities as activity_figures
from resolvers import reports as compute
from resolvers import suggestions as suggestion_figures
from resolvers.ids import decode_int_id
from service.auth import bearer_auth, request_caller
from service.http_errors import refusal

regions = table_of(RegionRow)
COMPOSITION_HEADER = ["level", "deputies", "female", "grassroots", "minority", "under40"]
ACTIVITY_HEADER = [
    "receptions",
    "deputy_visits",
    "visitors",
    "opinions_collected",
    "problems_resolved",
]

MAX_PARAMETER = 200  # characters; the longest good value (a list of kinds) is far shorter
REGION_CODE = re.compile(r"[0-9]{6}(?:[0-9]{3})?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
YEAR = re.compile(r"[0-9]{4}")  # 0001 to 9999: PostgreSQL has no year 0
# NUL and the other control characters: no parameter of any report contains one.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadArgument(Exception):
    def __init__(self, message: str, code: str = Code.INVALID_VALUE) -> None:
        super().__init__(message)
        self.code = code


def _shown(value: str) -> str:
    """A value as an error message may quote it: escaped, and short."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


@dataclass(frozen=True)
class Args:
    """The query parameters of one request, every one already checked for NUL bytes,
    control characters and length."""

    values: dict[str, str]
    caller: Caller

    @classmethod
    def of(cls, request: Request, caller: Caller) -> Args:
        values = dict(request.query_params)
        for name, value in values.items():
            if len(name) > MAX_PARAMETER or CONTROL.search(name):
                raise BadArgument("A parameter name is too long or holds a control character.")
            if len(value) > MAX_PARAMETER:
                raise BadArgument(f"{name!r} is longer than {MAX_PARAMETER} characters.")
            if CONTROL.search(value):
                raise BadArgument(f"{name!r} holds a NUL byte or another control character.")
        return cls(values, caller)

    def optional(self, name: str) -> str | None:
        """The value, or None when missing or empty."""
        return self.values.get(name) or None

    def required(self, name: str, what: str) -> str:
        value = self.optional(name)
        if value is None:
            raise BadArgument(f"The argument {name!r} ({what}) is missing.", Code.MISSING_ARGUMENT)
        return value

    def day(self, name: str) -> date:
        return _as_date(name, self.required(name, "YYYY-MM-DD"))

    def optional_date(self, name: str) -> date | None:
        value = self.optional(name)
        return None if value is None else _as_date(name, value)

    def year(self) -> int:
        value = self.required("year", "a year, e.g. 2024")
        if not YEAR.fullmatch(value) or value == "0000":
            raise BadArgument(
                f"'year' is a year of four digits from 0001 to 9999, e.g. 2024, not {_shown(value)}."
            )
        return int(value)

    def id(self, name: str, type_name: str) -> int:
        key = decode_int_id(self.required(name, f"a {type_name} ID"), type_name)
        if key is None:
            raise BadArgument(f"{name!r} is not a {type_name} ID.", Code.NOT_FOUND)
        return key

    def scope(self) -> str:
        scope = (self.optional("scope") or "CONGRESSES").upper()
        if scope not in compute.COUNTED:
            raise BadArgument("'scope' is CONGRESSES or LOCALITY.")
        return scope

    def span(self) -> tuple[date, date]:
        start, end = self.day("from"), self.day("to")
        compute.check_span(start, end)
        return start, end


def _as_date(name: str, value: str) -> date:
    try:
        if ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise BadArgument(f"{name!r} is not a date (YYYY-MM-DD): {_shown(value)}.")


async def _names(db: RequestDatabase, codes: list[str]) -> dict[str, str]:
    rows = await db.execute(select(regions.c.code, regions.c.name).where(regions.c.code.in_(codes)))
    return {row.code: row.name for row in rows}


async def _lineage(db: RequestDatabase, args: Args) -> list[str]:
    """The lineage of the region named by regionCode (the region's own code last)."""
    code = args.required("regionCode", "a division code").strip()
    if not REGION_CODE.fullmatch(code):
        raise BadArgument(f"'regionCode' is a division code of 6 or 9 digits, not {_shown(code)}.")
    found = await db.execute(select(regions.c.lineage).where(regions.c.code == code))
    lineage = found.scalar_one_or_none()
    if lineage is None:
        raise BadArgument(f"No region with code {code!r}.", Code.NOT_FOUND)
    return list(lineage)


async def _region(db: RequestDatabase, args: Args) -> str:
    return (await _lineage(db, args))[-1]


def _composition_rows(levels: list[compute.LevelComposition]) -> list[list[Any]]:
    return [
        [c.level.name, c.deputies, c.female, c.grassroots, c.minority, c.under40] for c in levels
    ]


def _activity_row(a: compute.StationActivity) -> list[Any]:
    return [a.receptions, a.deputy_visits, a.visitors, a.opinions_collected, a.problems_resolved]


Table = tuple[list[str], list[list[Any]]]


async def composition(db: RequestDatabase, args: Args) -> Table:
    lineage = await _lineage(db, args)
    found = await compute.composition_for(
        db, args.caller, lineage, args.scope(), args.optional_date("asOf")
    )
    return COMPOSITION_HEADER, _composition_rows(found[lineage[-1]])


async def composition_by_child(db: RequestDatabase, args: Args) -> Table:
    lineage = await _lineage(db, args)
    found = await compute.composition_for(
        db, args.caller, lineage, args.scope(), args.optional_date("asOf"), by_child=True
    )
    names = await _names(db, list(found))
    rows = [
        [child, names[child], *row]
        for child in sorted(found)
        for row in _composition_rows(found[child])
    ]
    return ["region_code", "region_name", *COMPOSITION_HEADER], rows


async def attendance(db: RequestDatabase, args: Args) -> Table:
    committee, year = args.id("committeeId", "Committee"), args.year()
    figures = await compute.attendance(db, committee, year)
    header = [
        "meetings",
        "person_times",
        "deputies",
        *(f"{lv.name.lower()}_person_times" for lv, _ in figures.by_level),
    ]
    return header, [
        [
            figures.meetings,
            figures.person_times,
            figures.deputies,
            *(n for _, n in figures.by_level),
        ]
    ]


async def contact_coverage(db: RequestDatabase, args: Args) -> Table:
    deputies, covered = await compute.contact_coverage(db, args.id("congressId", "Congress"))
    return ["deputies", "covered", "ratio"], [
        [deputies, covered, f"{covered / deputies:.4f}" if deputies else "0"]
    ]


async def station_activity(db: RequestDatabase, args: Args) -> Table:
    start, end = args.span()
    code = await _region(db, args)
    found = await compute.station_activity(db, code, start, end)
    return ACTIVITY_HEADER, [_activity_row(found[code])]


async def station_activity_by_child(db: RequestDatabase, args: Args) -> Table:
    start, end = args.span()
    code = await _region(db, args)
    found = await compute.station_activity(db, code, start, end, by_child=True)
    names = await _names(db, list(found))
    rows = [[child, names[child], *_activity_row(found[child])] for child in sorted(found)]
    return ["region_code", "region_name", *ACTIVITY_HEADER], rows


async def station_coverage(db: RequestDatabase, args: Args) -> Table:
    code = await _region(db, args)
    rows = await compute.station_coverage(db, code)
    return ["level", "deputies", "in_station"], [[lv.name, n, s] for lv, n, s in rows]


def _suggestion_args(args: Args) -> tuple[int, int, date]:
    """congressId, year and asOf (today when not given) of the suggestion reports."""
    congress, year = args.id("congressId", "Congress"), args.year()
    return congress, year, args.optional_date("asOf") or date.today()


async def suggestions(db: RequestDatabase, args: Args) -> Table:
    t = await suggestion_figures.suggestion_totals(db, *_suggestion_args(args))
    header = [
        "submitted",
        "assigned",
        "closed",
        "key_supervised",
        "replied_on_time",
        "overdue",
        "satisfaction_ratio",
    ]
    row = [t.submitted, t.assigned, t.closed, t.key_supervised, t.replied_on_time, t.overdue]
    return header, [[*row, f"{t.satisfaction_ratio:.4f}"]]


async def suggestions_by_category(db: RequestDatabase, args: Args) -> Table:
    given = _suggestion_args(args)
    top = await suggestion_figures.suggestions_by_category(db, *given, top=True)
    sub = await suggestion_figures.suggestions_by_category(db, *given, top=False)
    rows = [[c.code, c.name, n] for c, n in sorted(top + sub, key=lambda pair: pair[0].code)]
    return ["code", "category", "suggestions"], rows


async def suggestions_by_unit(db: RequestDatabase, args: Args) -> Table:
    units = await suggestion_figures.suggestions_by_unit(db, *_suggestion_args(args))
    header = ["unit", "assigned", "replied", "replied_on_time", "overdue", "satisfied"]
    rows = [
        [u.unit, u.assigned, u.replied, u.replied_on_time, u.overdue, u.satisfied] for u in units
    ]
    return header, rows


def _kinds(args: Args) -> tuple[ActivityKind, ...] | None:
    given = args.optional("kinds")
    if given is None:
        return None
    try:
        return tuple(ActivityKind[k.strip().upper()] for k in given.split(","))
    except KeyError:
        names = ", ".join(k.name for k in ActivityKind)
        raise BadArgument(f"'kinds' is a comma-separated list of {names}.") from None


async def activity_participation(db: RequestDatabase, args: Args) -> Table:
    start, end = args.span()
    kinds = _kinds(args)
    code = await _region(db, args)
    pairs = await activity_figures.participation(db, code, start, end, kinds)
    return ["level", "person_times"], [[level.name, n] for level, n in pairs]


REPORTS: dict[str, Callable[[RequestDatabase, Args], Awaitable[Table]]] = {
    "composition": composition,
    "composition-by-child": composition_by_child,
    "attendance": attendance,
    "contact-coverage": contact_coverage,
    "station-activity": station_activity,
    "station-activity-by-child": station_activity_by_child,
    "station-coverage": station_coverage,
    "suggestions": suggestions,
    "suggestions-by-category": suggestions_by_category,
    "suggestions-by-unit": suggestions_by_unit,
    "activity-participation": activity_participation,
}


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def report_routes(settings: Settings, database: Callable[[], RequestDatabase]) -> list[Route]:
    async def download(request: Request) -> Response:
        # Authenticated exactly as /graphql (service.auth), before anything else is looked at.
        caller = request_caller(request)
        db = database()  # (a connection only on first use)
        try:
            name = request.path_params["report"]
            report = REPORTS.get(name)
            if report is None:
                return refusal(
                    404, Code.NOT_FOUND, f"No such report; reports: {', '.join(REPORTS)}."
                )
            header, rows = await report(db, Args.of(request, caller))
        except (BadArgument, compute.ReportArgumentError) as bad:
            return refusal(400, bad.code, str(bad))
        finally:
            await db.close()
        return Response(
            to_csv(header, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    return [Route("/reports/{report}.csv", download, middleware=[bearer_auth(settings, database)])]
