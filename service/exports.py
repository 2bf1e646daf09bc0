"""Reports as CSV downloads (UTF-8 with BOM, so Excel shows the Chinese names), at
/reports/<report>.csv with the same arguments as the GraphQL fields."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from db.activities import ActivityKind
from db.regions import Region as RegionRow
from db.session import RequestDatabase
from resolvers import activities as activity_figures
from resolvers import reports as compute
from resolvers import suggestions as suggestion_figures
from resolvers.ids import decode_int_id

regions = RegionRow.__table__
COMPOSITION_HEADER = ["level", "deputies", "female", "grassroots", "minority", "under40"]
ACTIVITY_HEADER = [
    "receptions",
    "deputy_visits",
    "visitors",
    "opinions_collected",
    "problems_resolved",
]


class BadArgument(Exception):
    pass


def _arg(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise BadArgument(f"missing argument {name!r}")
    return value


def _date(request: Request, name: str, required: bool = True) -> date | None:
    value = request.query_params.get(name)
    if not value:
        if required:
            raise BadArgument(f"missing argument {name!r} (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadArgument(f"{name!r} is not a date (YYYY-MM-DD): {value!r}") from exc


def _scope(request: Request) -> str:
    scope = request.query_params.get("scope", "CONGRESSES").upper()
    if scope not in compute.COUNTED:
        raise BadArgument("scope is CONGRESSES or LOCALITY")
    return scope


def _id(request: Request, name: str, type_name: str) -> int:
    key = decode_int_id(_arg(request, name), type_name)
    if key is None:
        raise BadArgument(f"{name!r} is not a {type_name} ID")
    return key


async def _names(db: RequestDatabase, codes: list[str]) -> dict[str, str]:
    rows = await db.execute(select(regions.c.code, regions.c.name).where(regions.c.code.in_(codes)))
    return dict(rows.all())


async def _region(db: RequestDatabase, request: Request) -> str:
    code = _arg(request, "regionCode").strip()
    if not await _names(db, [code]):
        raise BadArgument(f"no region with code {code!r}")
    return code


def _composition_rows(levels: list[compute.LevelComposition]) -> list[list[Any]]:
    return [
        [c.level.name, c.deputies, c.female, c.grassroots, c.minority, c.under40] for c in levels
    ]


def _activity_row(a: compute.StationActivity) -> list[Any]:
    return [a.receptions, a.deputy_visits, a.visitors, a.opinions_collected, a.problems_resolved]


Table = tuple[list[str], list[list[Any]]]


async def composition(db: RequestDatabase, request: Request) -> Table:
    code = await _region(db, request)
    found = await compute.composition(db, code, _scope(request), _date(request, "asOf", False))
    return COMPOSITION_HEADER, _composition_rows(found[code])


async def composition_by_child(db: RequestDatabase, request: Request) -> Table:
    code = await _region(db, request)
    found = await compute.composition(
        db, code, _scope(request), _date(request, "asOf", False), by_child=True
    )
    names = await _names(db, list(found))
    rows = [
        [child, names[child], *row]
        for child in sorted(found)
        for row in _composition_rows(found[child])
    ]
    return ["region_code", "region_name", *COMPOSITION_HEADER], rows


async def attendance(db: RequestDatabase, request: Request) -> Table:
    try:
        year = int(_arg(request, "year"))
    except ValueError as exc:
        raise BadArgument("year is a whole number") from exc
    figures = await compute.attendance(db, _id(request, "committeeId", "Committee"), year)
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


async def contact_coverage(db: RequestDatabase, request: Request) -> Table:
    deputies, covered = await compute.contact_coverage(db, _id(request, "congressId", "Congress"))
    return ["deputies", "covered", "ratio"], [
        [deputies, covered, f"{covered / deputies:.4f}" if deputies else "0"]
    ]


async def station_activity(db: RequestDatabase, request: Request) -> Table:
    code = await _region(db, request)
    found = await compute.station_activity(db, code, _date(request, "from"), _date(request, "to"))  # type: ignore[arg-type]
    return ACTIVITY_HEADER, [_activity_row(found[code])]


async def station_activity_by_child(db: RequestDatabase, request: Request) -> Table:
    code = await _region(db, request)
    found = await compute.station_activity(
        db,
        code,
        _date(request, "from"),
        _date(request, "to"),
        by_child=True,  # type: ignore[arg-type]
    )
    names = await _names(db, list(found))
    rows = [[child, names[child], *_activity_row(found[child])] for child in sorted(found)]
    return ["region_code", "region_name", *ACTIVITY_HEADER], rows


async def station_coverage(db: RequestDatabase, request: Request) -> Table:
    code = await _region(db, request)
    rows = await compute.station_coverage(db, code)
    return ["level", "deputies", "in_station"], [[lv.name, n, s] for lv, n, s in rows]


def _suggestion_args(request: Request) -> tuple[int, int, date]:
    """congressId, year and asOf (today when not given) of the suggestion reports."""
    try:
        year = int(_arg(request, "year"))
    except ValueError as exc:
        raise BadArgument("year is a whole number") from exc
    congress = _id(request, "congressId", "Congress")
    return congress, year, _date(request, "asOf", False) or date.today()


async def suggestions(db: RequestDatabase, request: Request) -> Table:
    t = await suggestion_figures.suggestion_totals(db, *_suggestion_args(request))
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


async def suggestions_by_category(db: RequestDatabase, request: Request) -> Table:
    args = _suggestion_args(request)
    top = await suggestion_figures.suggestions_by_category(db, *args, top=True)
    sub = await suggestion_figures.suggestions_by_category(db, *args, top=False)
    rows = [[c.code, c.name, n] for c, n in sorted(top + sub, key=lambda pair: pair[0].code)]
    return ["code", "category", "suggestions"], rows


async def suggestions_by_unit(db: RequestDatabase, request: Request) -> Table:
    units = await suggestion_figures.suggestions_by_unit(db, *_suggestion_args(request))
    header = ["unit", "assigned", "replied", "replied_on_time", "overdue", "satisfied"]
    rows = [
        [u.unit, u.assigned, u.replied, u.replied_on_time, u.overdue, u.satisfied] for u in units
    ]
    return header, rows


async def activity_participation(db: RequestDatabase, request: Request) -> Table:
    code = await _region(db, request)
    given = request.query_params.get("kinds")
    try:
        kinds = tuple(ActivityKind[k.strip().upper()] for k in given.split(",")) if given else None
    except KeyError as exc:
        names = ", ".join(k.name for k in ActivityKind)
        raise BadArgument(f"kinds is a comma-separated list of {names}") from exc
    start, end = _date(request, "from"), _date(request, "to")
    assert start is not None and end is not None
    pairs = await activity_figures.participation(db, code, start, end, kinds)
    return ["level", "person_times"], [[level.name, n] for level, n in pairs]


REPORTS: dict[str, Callable[[RequestDatabase, Request], Awaitable[Table]]] = {
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


def report_routes(database: Callable[[], RequestDatabase]) -> list[Route]:
    async def download(request: Request) -> Response:
        name = request.path_params["report"]
        report = REPORTS.get(name)
        if report is None:
            return PlainTextResponse(
                f"no report {name!r}; reports: {', '.join(REPORTS)}", status_code=404
            )
        db = database()
        try:
            header, rows = await report(db, request)
        except BadArgument as bad:
            return PlainTextResponse(f"{bad}", status_code=400)
        finally:
            await db.close()
        filename = f"{name}.csv"
        return Response(
            to_csv(header, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return [Route("/reports/{report}.csv", download)]
