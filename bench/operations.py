"""The reference mix: each operation as our query, PostGraphile's query and hand-written SQL.

Every operation has
- `ours`: the GraphQL document for our schema (schema/schema.graphql);
- `pg`: the document for PostGraphile 5 (amber preset, simplify-inflection, plus the
  helper functions of `pg_helpers.sql` in the `bench_pg` schema);
- `raw_sql`: one statement that builds the same answer as our `data` from the same tables
  ours reads (the raw-SQL floor);
- `check_sql`: where the raw SQL reads kept totals, a statement that counts the rows
  themselves: the reference answer, so that the totals are checked too;
- `draw`: n distinct variable sets drawn at random (fixed seed) from the data, one `Vars`
  per request (fewer when the data has fewer);
- `norm_ours` / `norm_pg`: turn each answer into one canonical form, so that the answers
  of both servers (and of the raw SQL) can be compared for equality.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.pinyin import search_query
from resolvers.ids import encode_id

Json = Any


@dataclass(frozen=True)
class Vars:
    """One request's variables: for our query, for PostGraphile's and for the raw SQL."""

    ours: dict[str, Any]
    pg: dict[str, Any]
    sql: tuple[Any, ...]


@dataclass(frozen=True)
class Operation:
    name: str
    title: str
    ours: str
    pg: str
    raw_sql: str
    draw: Callable[[asyncpg.Connection, random.Random, int], Awaitable[list[Vars]]]
    norm_ours: Callable[[Json], Json]
    norm_pg: Callable[[Json], Json]
    check_sql: str | None = None

    @property
    def reference_sql(self) -> str:
        return self.check_sql or self.raw_sql


def _nodes(connection: Json) -> list[Json]:
    return connection["nodes"] if connection else []


def _sorted(items: list[Any]) -> list[Any]:
    # Lists whose order the two schemas do not share (PostGraphile orders by its own columns).
    return sorted(items, key=repr)


async def _sample(
    conn: asyncpg.Connection, rng: random.Random, n: int, sql: str, *args: Any
) -> list[Any]:
    """n distinct values of the query's first column in random order (all when fewer)."""
    rows = sorted({r[0] for r in await conn.fetch(sql, *args)})
    return rng.sample(rows, min(n, len(rows)))


async def _sample_ids(
    conn: asyncpg.Connection, rng: random.Random, n: int, table: str, where: str
) -> list[int]:
    """n distinct random ids of a table that satisfy `where` (all when fewer), without
    reading every id of a big table: draw in [min, max], keep the hits."""
    low, high = await conn.fetchrow(f"SELECT min(id), max(id) FROM {table}")
    if low is None:
        return []
    matching = f"SELECT id FROM {table} t WHERE ({where})"
    if high - low + 1 <= 4 * n:  # small enough to read whole
        return await _sample(conn, rng, n, matching)
    found: dict[int, None] = {}  # distinct, in the order drawn
    for _ in range(20):
        candidates = sorted({rng.randint(low, high) for _ in range(4 * n)} - found.keys())
        hits = await conn.fetch(f"{matching} AND t.id = ANY($1::int[]) ORDER BY id", candidates)
        pool = [r[0] for r in hits]
        rng.shuffle(pool)
        found.update(dict.fromkeys(pool))
        if len(found) >= n:
            break
    return list(found)[:n]


ACTIVE = "EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = t.id AND m.status = 'ACTIVE')"

# --- 1. A deputy's page -----------------------------------------------------------------

DEPUTY_OURS = """
query DeputyPage($id: ID!) {
  node(id: $id) {
    ... on Deputy {
      name namePinyin gender ethnicity birthYear party occupation isGrassroots
      locality { code name }
      mandates {
        level status startDate endDate electoralUnit delegation byElection
        congress { name }
        term { number }
      }
      stations { name kind address }
      groups { name kind theme }
      contacts { startDate endDate contactor { name } committee { name } }
      attendances(first: 10) { totalCount nodes { level meeting { title startDate } } }
    }
  }
}
"""

DEPUTY_PG = """
query DeputyPage($id: Int!) {
  deputy(rowId: $id) {
    name namePinyin gender ethnicity birthYear party occupation isGrassroots
    regionByLocalityCode { code name }
    mandates {
      nodes {
        level status startDate endDate electoralUnit delegation byElection
        congressByCongressIdAndLevel { name }
        termCongress { number }
      }
    }
    stationAssignments { nodes { station { name kind address } } }
    groupMemberships { nodes { group { name kind theme } } }
    contactAssignments {
      nodes { startDate endDate contactor { name } committee { name } }
    }
    attendances(first: 10, orderBy: [ROW_ID_DESC]) {
      totalCount nodes { level meeting { title startDate } }
    }
  }
}
"""

DEPUTY_SQL = """
SELECT json_build_object('node', (
  SELECT json_build_object(
    'name', d.name, 'namePinyin', d.name_pinyin, 'gender', d.gender,
    'ethnicity', d.ethnicity, 'birthYear', d.birth_year, 'party', d.party,
    'occupation', d.occupation, 'isGrassroots', d.is_grassroots,
    'locality', (SELECT json_build_object('code', r.code, 'name', r.name)
                 FROM regions r WHERE r.code = d.locality_code),
    'mandates', coalesce((
      SELECT json_agg(json_build_object(
               'level', m.level, 'status', m.status, 'startDate', m.start_date,
               'endDate', m.end_date, 'electoralUnit', m.electoral_unit,
               'delegation', m.delegation, 'byElection', m.by_election,
               'congress', json_build_object('name', c.name),
               'term', json_build_object('number', t.number))
             ORDER BY m.level, m.start_date, m.id)
      FROM mandates m JOIN congresses c ON c.id = m.congress_id JOIN terms t ON t.id = m.term_id
      WHERE m.deputy_id = d.id), '[]'),
    'stations', coalesce((
      SELECT json_agg(json_build_object('name', s.name, 'kind', s.kind, 'address', s.address)
                      ORDER BY s.id)
      FROM station_assignments sa JOIN stations s ON s.id = sa.station_id
      WHERE sa.deputy_id = d.id), '[]'),
    'groups', coalesce((
      SELECT json_agg(json_build_object('name', g.name, 'kind', g.kind, 'theme', g.theme)
                      ORDER BY g.id)
      FROM group_memberships gm JOIN deputy_groups g ON g.id = gm.group_id
      WHERE gm.deputy_id = d.id), '[]'),
    'contacts', coalesce((
      SELECT json_agg(json_build_object(
               'startDate', a.start_date, 'endDate', a.end_date,
               'contactor', json_build_object('name', p.name),
               'committee', json_build_object('name', k.name))
             ORDER BY a.end_date IS NOT NULL, a.start_date, a.id)
      FROM contact_assignments a JOIN deputies p ON p.id = a.contactor_id
      JOIN committees k ON k.id = a.committee_id
      WHERE a.deputy_id = d.id), '[]'),
    'attendances', json_build_object(
      'totalCount', (SELECT count(*) FROM attendances a WHERE a.deputy_id = d.id),
      'nodes', coalesce((
        SELECT json_agg(json_build_object(
                 'level', x.level,
                 'meeting', json_build_object('title', x.title, 'startDate', x.start_date))
               ORDER BY x.start_date DESC, x.id DESC)
        FROM (SELECT a.id, a.level, mt.title, mt.start_date
              FROM attendances a JOIN meetings mt ON mt.id = a.meeting_id
              WHERE a.deputy_id = d.id
              ORDER BY mt.start_date DESC, a.id DESC LIMIT 10) x), '[]')))
  FROM deputies d WHERE d.id = $1))::text
"""


async def draw_deputies(conn: asyncpg.Connection, rng: random.Random, n: int) -> list[Vars]:
    ids = await _sample_ids(conn, rng, n, "deputies", ACTIVE)
    return [Vars({"id": encode_id("Deputy", i)}, {"id": i}, (i,)) for i in ids]


def _deputy_page(
    d: Json,
    locality: Json,
    mandates: list[Json],
    stations: list[Json],
    groups: list[Json],
    contacts: list[Json],
    attendances: Json,
) -> Json:
    if d is None:
        return None
    attended = [
        (a["level"], a["meeting"]["title"], a["meeting"]["startDate"]) for a in attendances["nodes"]
    ]
    total = attendances["totalCount"]
    return {
        "person": [
            d[k]
            for k in (
                "name",
                "namePinyin",
                "gender",
                "ethnicity",
                "birthYear",
                "party",
                "occupation",
                "isGrassroots",
            )
        ],
        "locality": (locality["code"], locality["name"]),
        "mandates": _sorted(mandates),
        "stations": _sorted([(s["name"], s["kind"], s["address"]) for s in stations]),
        "groups": _sorted([(g["name"], g["kind"], g["theme"]) for g in groups]),
        "contacts": _sorted(
            [
                (c["startDate"], c["endDate"], c["contactor"]["name"], c["committee"]["name"])
                for c in contacts
            ]
        ),
        # Our page lists the latest meetings first; PostGraphile can only order by its own
        # columns, so the ten shown may differ when there are more than ten.
        "attendances": (total, _sorted(attended) if total <= 10 else len(attended)),
    }


def _mandate(m: Json, congress: Json, term: Json) -> tuple[Any, ...]:
    """A mandate as both servers give it (they differ only in the names of its relations)."""
    keys = ("level", "status", "startDate", "endDate", "electoralUnit", "delegation", "byElection")
    return (*(m[k] for k in keys), congress["name"], term["number"])


def norm_deputy_ours(data: Json) -> Json:
    d = data["node"]
    if d is None:
        return None
    mandates = [_mandate(m, m["congress"], m["term"]) for m in d["mandates"]]
    return _deputy_page(
        d, d["locality"], mandates, d["stations"], d["groups"], d["contacts"], d["attendances"]
    )


def norm_deputy_pg(data: Json) -> Json:
    d = data["deputy"]
    if d is None:
        return None
    mandates = [
        _mandate(m, m["congressByCongressIdAndLevel"], m["termCongress"])
        for m in _nodes(d["mandates"])
    ]
    return _deputy_page(
        d,
        d["regionByLocalityCode"],
        mandates,
        [a["station"] for a in _nodes(d["stationAssignments"])],
        [g["group"] for g in _nodes(d["groupMemberships"])],
        _nodes(d["contactAssignments"]),
        d["attendances"],
    )


# --- 2. A station's page ----------------------------------------------------------------

STATION_OURS = """
query StationPage($id: ID!) {
  node(id: $id) {
    ... on Station {
      name kind address starRating receptionDay
      region { code name }
      deputyCountByLevel { level count }
      deputies(first: 20) { totalCount nodes { name namePinyin } }
      receptions(first: 10) {
        totalCount nodes { date visitors opinionsCollected problemsResolved }
      }
    }
  }
}
"""

STATION_PG = """
query StationPage($id: Int!) {
  station(rowId: $id) {
    name kind address starRating receptionDay
    regionByRegionCode { code name }
    deputyCountByLevel { nodes { level count } }
    activeDeputies(first: 20) { totalCount nodes { name namePinyin } }
    receptions(first: 10, orderBy: [DATE_DESC, ROW_ID_DESC]) {
      totalCount nodes { date visitors opinionsCollected problemsResolved }
    }
  }
}
"""

STATION_SQL = """
SELECT json_build_object('node', (
  SELECT json_build_object(
    'name', s.name, 'kind', s.kind, 'address', s.address, 'starRating', s.star_rating,
    'receptionDay', s.reception_day,
    'region', (SELECT json_build_object('code', r.code, 'name', r.name)
               FROM regions r WHERE r.code = s.region_code),
    'deputyCountByLevel', (
      SELECT json_agg(json_build_object('level', x.level, 'count', x.n) ORDER BY x.level)
      FROM (SELECT l.level, count(DISTINCT m.deputy_id) AS n
            FROM unnest(enum_range(NULL::level)) AS l(level)
            LEFT JOIN (station_assignments sa
                       JOIN mandates m ON m.deputy_id = sa.deputy_id AND m.status = 'ACTIVE')
                   ON m.level = l.level AND sa.station_id = s.id
            GROUP BY l.level) x),
    'deputies', (
      WITH here AS (
        SELECT d.id, d.name, d.name_pinyin FROM station_assignments sa
        JOIN deputies d ON d.id = sa.deputy_id
        WHERE sa.station_id = s.id
          AND EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = d.id AND m.status = 'ACTIVE'))
      SELECT json_build_object(
        'totalCount', (SELECT count(*) FROM here),
        'nodes', coalesce((
          SELECT json_agg(json_build_object('name', p.name, 'namePinyin', p.name_pinyin)
                          ORDER BY p.name_pinyin, p.id)
          FROM (SELECT * FROM here ORDER BY name_pinyin, id LIMIT 20) p), '[]'))),
    'receptions', json_build_object(
      'totalCount', (SELECT count(*) FROM receptions rc WHERE rc.station_id = s.id),
      'nodes', coalesce((
        SELECT json_agg(json_build_object(
                 'date', x.date, 'visitors', x.visitors,
                 'opinionsCollected', x.opinions_collected,
                 'problemsResolved', x.problems_resolved) ORDER BY x.date DESC, x.id DESC)
        FROM (SELECT * FROM receptions rc WHERE rc.station_id = s.id
              ORDER BY rc.date DESC, rc.id DESC LIMIT 10) x), '[]')))
  FROM stations s WHERE s.id = $1))::text
"""


async def draw_stations(conn: asyncpg.Connection, rng: random.Random, n: int) -> list[Vars]:
    ids = await _sample_ids(conn, rng, n, "stations", "true")
    return [Vars({"id": encode_id("Station", i)}, {"id": i}, (i,)) for i in ids]


def _station_page(
    s: Json, region: Json, counts: list[Json], deputies: Json, receptions: Json
) -> Json:
    return {
        "station": [s[k] for k in ("name", "kind", "address", "starRating", "receptionDay")],
        "region": (region["code"], region["name"]),
        "counts": [(c["level"], c["count"]) for c in counts],
        "deputies": (
            deputies["totalCount"],
            [(d["name"], d["namePinyin"]) for d in deputies["nodes"]],
        ),
        "receptions": (
            receptions["totalCount"],
            [
                (r["date"], r["visitors"], r["opinionsCollected"], r["problemsResolved"])
                for r in receptions["nodes"]
            ],
        ),
    }


def norm_station_ours(data: Json) -> Json:
    s = data["node"]
    if s is None:
        return None
    return _station_page(s, s["region"], s["deputyCountByLevel"], s["deputies"], s["receptions"])


def norm_station_pg(data: Json) -> Json:
    s = data["station"]
    if s is None:
        return None
    return _station_page(
        s,
        s["regionByRegionCode"],
        _nodes(s["deputyCountByLevel"]),
        s["activeDeputies"],
        s["receptions"],
    )


# --- 3. A region drill-down with counts -------------------------------------------------

REGION_OURS = """
query RegionDrillDown($code: String!) {
  region(code: $code) {
    code name level kind
    parent { code name }
    congress { name }
    children(first: 100) {
      totalCount
      nodes {
        code name level kind
        congress { name }
        deputies(first: 0) { totalCount }
        stations(first: 0) { totalCount }
      }
    }
  }
}
"""

REGION_PG = """
query RegionDrillDown($code: String!) {
  region(code: $code) {
    code name level kind
    regionByParentCode { code name }
    congressByRegionCode { name }
    regionsByParentCode(first: 100, orderBy: [CODE_ASC]) {
      totalCount
      nodes {
        code name level kind
        congressByRegionCode { name }
        deputyCount
        stationCount
      }
    }
  }
}
"""

# One drill-down statement; only how the deputies of each child are counted differs.
_REGION_TEMPLATE = """
WITH here AS (SELECT * FROM regions WHERE code = $1::varchar),
kids AS (SELECT * FROM regions WHERE parent_code = $1::varchar ORDER BY code LIMIT 100),
-- Every region below, with the child of $1 it lies under: one pass counts all of them.
below AS (
  SELECT s.code, s.lineage[array_position(s.lineage, $1::varchar) + 1] AS child
  FROM regions s WHERE s.lineage @> ARRAY[$1::varchar] AND s.code <> $1::varchar),
{deputy_counts}station_counts AS (
  SELECT b.child, count(*) AS n FROM below b JOIN stations st ON st.region_code = b.code
  GROUP BY b.child)
SELECT json_build_object('region', (
  SELECT json_build_object(
    'code', r.code, 'name', r.name, 'level', r.level, 'kind', r.kind,
    'parent', (SELECT json_build_object('code', p.code, 'name', p.name)
               FROM regions p WHERE p.code = r.parent_code),
    'congress', (SELECT json_build_object('name', c.name)
                 FROM congresses c WHERE c.region_code = r.code),
    'children', json_build_object(
      'totalCount', (SELECT count(*) FROM regions ch WHERE ch.parent_code = r.code),
      'nodes', coalesce((
        SELECT json_agg(json_build_object(
          'code', k.code, 'name', k.name, 'level', k.level, 'kind', k.kind,
          'congress', (SELECT json_build_object('name', c.name)
                       FROM congresses c WHERE c.region_code = k.code),
          'deputies', json_build_object('totalCount', coalesce(dc.n, 0)),
          'stations', json_build_object('totalCount', coalesce(sc.n, 0)))
          ORDER BY k.code)
        FROM kids k
        LEFT JOIN deputy_counts dc ON dc.child = k.code
        LEFT JOIN station_counts sc ON sc.child = k.code), '[]')))
  FROM here r))::text
"""

REGION_SQL = _REGION_TEMPLATE.format(
    deputy_counts="""-- Deputies: the subtree totals kept in report_counts, as ours reads them.
deputy_counts AS (
  SELECT rc.region_code AS child, sum(rc.deputies) AS n FROM report_counts rc
  WHERE rc.scope = 'CONGRESSES' AND rc.level IS NULL
    AND rc.region_code IN (SELECT code FROM kids)
  GROUP BY rc.region_code),
"""
)

# The reference answer: the deputies counted from the mandates themselves.
REGION_CHECK_SQL = _REGION_TEMPLATE.format(
    deputy_counts="""deputy_counts AS (
  SELECT b.child, count(DISTINCT m.deputy_id) AS n FROM below b
  JOIN congresses c ON c.region_code = b.code
  JOIN mandates m ON m.congress_id = c.id AND m.status = 'ACTIVE'
  GROUP BY b.child),
"""
)

# Regions with a congress that has deputies, by level (the drill-down starts anywhere from a
# province to a county).
REGION_CANDIDATES = """
SELECT r.code FROM regions r JOIN congresses c ON c.region_code = r.code
WHERE r.level = $1::level AND EXISTS (SELECT 1 FROM mandates m WHERE m.congress_id = c.id)
"""


async def draw_regions(conn: asyncpg.Connection, rng: random.Random, n: int) -> list[Vars]:
    """Distinct regions with deputies, provinces, prefectures and counties taken in turn
    while each level lasts (there are far fewer provinces than counties), so that any
    stretch of the bodies mixes the levels."""
    by_level = [
        await _sample(conn, rng, n, REGION_CANDIDATES, level)
        for level in ("PROVINCIAL", "PREFECTURAL", "COUNTY")
    ]
    codes: list[str] = []
    for turn in range(max(map(len, by_level), default=0)):
        codes.extend(level[turn] for level in by_level if turn < len(level))
    return [Vars({"code": c}, {"code": c}, (c,)) for c in codes[:n]]


def _region_page(r: Json, parent: Json, congress: Json, total: int, children: list[Json]) -> Json:
    return {
        "region": [r[k] for k in ("code", "name", "level", "kind")],
        "parent": parent and (parent["code"], parent["name"]),
        "congress": congress and congress["name"],
        "children": (total, children),
    }


def norm_region_ours(data: Json) -> Json:
    r = data["region"]
    if r is None:
        return None
    children = [
        (
            c["code"],
            c["name"],
            c["level"],
            c["kind"],
            c["congress"] and c["congress"]["name"],
            c["deputies"]["totalCount"],
            c["stations"]["totalCount"],
        )
        for c in r["children"]["nodes"]
    ]
    return _region_page(r, r["parent"], r["congress"], r["children"]["totalCount"], children)


def norm_region_pg(data: Json) -> Json:
    r = data["region"]
    if r is None:
        return None
    kids = r["regionsByParentCode"]
    children = [
        (
            c["code"],
            c["name"],
            c["level"],
            c["kind"],
            c["congressByRegionCode"] and c["congressByRegionCode"]["name"],
            c["deputyCount"],
            c["stationCount"],
        )
        for c in kids["nodes"]
    ]
    return _region_page(
        r, r["regionByParentCode"], r["congressByRegionCode"], kids["totalCount"], children
    )


# --- 4. A pinyin search page of 20 ------------------------------------------------------

SEARCH_OURS = """
query PinyinSearch($q: String!) {
  deputies(filter: {search: $q}, first: 20) {
    totalCount
    nodes { name namePinyin gender locality { name } mandates { level status } }
  }
}
"""

SEARCH_PG = """
query PinyinSearch($q: String!) {
  benchPgSearchDeputies(q: $q, first: 20) {
    totalCount
    nodes {
      name namePinyin gender regionByLocalityCode { name }
      mandates { nodes { level status } }
    }
  }
}
"""

SEARCH_SQL = """
WITH hits AS (
  SELECT d.id, d.name, d.name_pinyin, d.gender, d.locality_code FROM deputies d
  WHERE d.search_vector @@ $1::tsquery
    AND EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = d.id AND m.status = 'ACTIVE'))
SELECT json_build_object('deputies', json_build_object(
  'totalCount', (SELECT count(*) FROM hits),
  'nodes', coalesce((
    SELECT json_agg(json_build_object(
      'name', p.name, 'namePinyin', p.name_pinyin, 'gender', p.gender,
      'locality', (SELECT json_build_object('name', r.name)
                   FROM regions r WHERE r.code = p.locality_code),
      'mandates', coalesce((
        SELECT json_agg(json_build_object('level', m.level, 'status', m.status)
                        ORDER BY m.level, m.start_date, m.id)
        FROM mandates m WHERE m.deputy_id = p.id), '[]'))
      ORDER BY p.name_pinyin, p.id)
    FROM (SELECT * FROM hits ORDER BY name_pinyin, id LIMIT 20) p), '[]')))::text
"""


def _search_term(rng: random.Random, name: str, pinyin: str) -> str:
    """What people type: the name, the given name, joined pinyin, its prefix, or initials."""
    syllables = pinyin.split()
    forms = [
        name,
        name[1:] or name,
        "".join(syllables),
        " ".join(syllables),
        syllables[0] + (syllables[1][:2] if len(syllables) > 1 else ""),
        "".join(s[0] for s in syllables),
    ]
    return rng.choice(forms)


async def draw_searches(conn: asyncpg.Connection, rng: random.Random, n: int) -> list[Vars]:
    """n distinct search terms, each what someone might type for a random deputy (names,
    initials and prefixes repeat, so more deputies are drawn than terms are needed)."""
    ids = await _sample_ids(conn, rng, 3 * n, "deputies", ACTIVE)
    rows = await conn.fetch("SELECT id, name, name_pinyin FROM deputies WHERE id = ANY($1)", ids)
    people = {r["id"]: (r["name"], r["name_pinyin"]) for r in rows}
    terms: dict[str, None] = {}
    for i in ids:
        terms.setdefault(_search_term(rng, *people[i]))
        if len(terms) == n:
            break
    return [Vars({"q": t}, {"q": t}, (search_query(t),)) for t in terms]


def _search_page(total: int, rows: list[Json]) -> Json:
    return (total, rows)


def norm_search_ours(data: Json) -> Json:
    page = data["deputies"]
    rows = [
        (
            d["name"],
            d["namePinyin"],
            d["gender"],
            d["locality"]["name"],
            _sorted([(m["level"], m["status"]) for m in d["mandates"]]),
        )
        for d in page["nodes"]
    ]
    return _search_page(page["totalCount"], rows)


def norm_search_pg(data: Json) -> Json:
    page = data["benchPgSearchDeputies"]
    rows = [
        (
            d["name"],
            d["namePinyin"],
            d["gender"],
            d["regionByLocalityCode"]["name"],
            _sorted([(m["level"], m["status"]) for m in _nodes(d["mandates"])]),
        )
        for d in page["nodes"]
    ]
    return _search_page(page["totalCount"], rows)


# --- 5. A page of 100 county deputies with mandates, stations and groups ----------------

COUNTY_OURS = """
query CountyDeputies($code: String!) {
  deputies(filter: {regionCode: $code, levels: [COUNTY]}, first: 100) {
    totalCount
    nodes {
      name namePinyin gender birthYear
      mandates { level status startDate congress { name } }
      stations { name }
      groups { name }
    }
  }
}
"""

COUNTY_PG = """
query CountyDeputies($code: String!) {
  benchPgRegionDeputies(code: $code, levels: [COUNTY], first: 100) {
    totalCount
    nodes {
      name namePinyin gender birthYear
      mandates { nodes { level status startDate congressByCongressIdAndLevel { name } } }
      stationAssignments { nodes { station { name } } }
      groupMemberships { nodes { group { name } } }
    }
  }
}
"""

COUNTY_SQL = """
WITH hits AS (
  SELECT d.id, d.name, d.name_pinyin, d.gender, d.birth_year FROM deputies d
  WHERE EXISTS (
    SELECT 1 FROM mandates m
    WHERE m.deputy_id = d.id AND m.status = 'ACTIVE' AND m.level = 'COUNTY'
      AND m.congress_id IN (SELECT c.id FROM congresses c
                            WHERE c.region_code IN (SELECT r.code FROM regions r
                                                    WHERE r.lineage @> ARRAY[$1::varchar]))))
SELECT json_build_object('deputies', json_build_object(
  'totalCount', (SELECT count(*) FROM hits),
  'nodes', coalesce((
    SELECT json_agg(json_build_object(
      'name', p.name, 'namePinyin', p.name_pinyin, 'gender', p.gender,
      'birthYear', p.birth_year,
      'mandates', coalesce((
        SELECT json_agg(json_build_object(
                 'level', m.level, 'status', m.status, 'startDate', m.start_date,
                 'congress', json_build_object('name', c.name))
               ORDER BY m.level, m.start_date, m.id)
        FROM mandates m JOIN congresses c ON c.id = m.congress_id
        WHERE m.deputy_id = p.id), '[]'),
      'stations', coalesce((
        SELECT json_agg(json_build_object('name', s.name) ORDER BY s.id)
        FROM station_assignments sa JOIN stations s ON s.id = sa.station_id
        WHERE sa.deputy_id = p.id), '[]'),
      'groups', coalesce((
        SELECT json_agg(json_build_object('name', g.name) ORDER BY g.id)
        FROM group_memberships gm JOIN deputy_groups g ON g.id = gm.group_id
        WHERE gm.deputy_id = p.id), '[]'))
      ORDER BY p.name_pinyin, p.id)
    FROM (SELECT * FROM hits ORDER BY name_pinyin, id LIMIT 100) p), '[]')))::text
"""

# Active county-level mandates under each county, prefecture and province.
COUNTY_SEATS = """
SELECT a.code, a.level::text AS level, count(*) AS n
FROM mandates m
JOIN congresses c ON c.id = m.congress_id
JOIN regions r ON r.code = c.region_code
JOIN regions a ON a.code = ANY (r.lineage)
WHERE m.status = 'ACTIVE' AND m.level = 'COUNTY'
  AND a.level IN ('PROVINCIAL', 'PREFECTURAL', 'COUNTY')
GROUP BY a.code, a.level
"""


async def draw_county_pages(conn: asyncpg.Connection, rng: random.Random, n: int) -> list[Vars]:
    """Regions whose page of county deputies is full (100), the lowest level that has them.

    At national size that is a county (140 to 450 seats); on smaller data a prefecture or
    a province.
    """
    seats = await conn.fetch(COUNTY_SEATS)
    pool: list[str] = []
    for level in ("COUNTY", "PREFECTURAL", "PROVINCIAL"):
        pool = sorted(r["code"] for r in seats if r["level"] == level and r["n"] >= 100)
        if pool:
            break
    if not pool and seats:
        pool = [max(seats, key=lambda r: (r["n"], r["code"]))["code"]]
    codes = rng.sample(pool, min(n, len(pool)))
    return [Vars({"code": c}, {"code": c}, (c,)) for c in codes]


def _county_page(total: int, rows: list[Json]) -> Json:
    return (total, rows)


def norm_county_ours(data: Json) -> Json:
    page = data["deputies"]
    rows = [
        (
            d["name"],
            d["namePinyin"],
            d["gender"],
            d["birthYear"],
            _sorted(
                [
                    (m["level"], m["status"], m["startDate"], m["congress"]["name"])
                    for m in d["mandates"]
                ]
            ),
            _sorted([s["name"] for s in d["stations"]]),
            _sorted([g["name"] for g in d["groups"]]),
        )
        for d in page["nodes"]
    ]
    return _county_page(page["totalCount"], rows)


def norm_county_pg(data: Json) -> Json:
    page = data["benchPgRegionDeputies"]
    rows = [
        (
            d["name"],
            d["namePinyin"],
            d["gender"],
            d["birthYear"],
            _sorted(
                [
                    (
                        m["level"],
                        m["status"],
                        m["startDate"],
                        m["congressByCongressIdAndLevel"]["name"],
                    )
                    for m in _nodes(d["mandates"])
                ]
            ),
            _sorted([a["station"]["name"] for a in _nodes(d["stationAssignments"])]),
            _sorted([g["group"]["name"] for g in _nodes(d["groupMemberships"])]),
        )
        for d in page["nodes"]
    ]
    return _county_page(page["totalCount"], rows)


# --- 6. A province report ---------------------------------------------------------------

REPORT_OURS = """
query ProvinceReport($code: String!) {
  region(code: $code) { name }
  reports {
    congresses: composition(regionCode: $code, scope: CONGRESSES) {
      level deputies female grassroots minority under40
    }
    locality: composition(regionCode: $code, scope: LOCALITY) {
      level deputies female grassroots minority under40
    }
    stationCoverage(regionCode: $code) { level deputies inStation }
  }
}
"""

REPORT_PG = """
query ProvinceReport($code: String!) {
  region(code: $code) { name }
  congresses: benchPgComposition(code: $code, scope: "CONGRESSES") {
    nodes { level deputies female grassroots minority under40 }
  }
  locality: benchPgComposition(code: $code, scope: "LOCALITY") {
    nodes { level deputies female grassroots minority under40 }
  }
  stationCoverage: benchPgStationCoverage(code: $code) { nodes { level deputies inStation } }
}
"""

_COMPOSITION_SQL = """
(WITH subtree AS (SELECT code FROM regions WHERE lineage @> ARRAY[$1::varchar]),
 counted AS ({counted}),
 figures AS (
   SELECT l.level, count(d.id) AS deputies,
          count(d.id) FILTER (WHERE d.gender = 'FEMALE') AS female,
          count(d.id) FILTER (WHERE d.is_grassroots) AS grassroots,
          count(d.id) FILTER (WHERE d.ethnicity IS NOT NULL AND d.ethnicity <> '汉族') AS minority,
          count(d.id) FILTER (WHERE
              -- by birth year, as the service counts for anonymous callers (docs/reports.md)
              extract(year FROM current_date) - d.birth_year < 40) AS under40
   FROM unnest(enum_range(NULL::level)) AS l(level)
   LEFT JOIN counted c ON c.level = l.level
   LEFT JOIN deputies d ON d.id = c.deputy_id
   GROUP BY l.level)
 SELECT json_agg(json_build_object(
          'level', level, 'deputies', deputies, 'female', female, 'grassroots', grassroots,
          'minority', minority, 'under40', under40) ORDER BY level)
 FROM figures)
"""

_BY_CONGRESS = """
SELECT DISTINCT m.deputy_id, m.level FROM subtree s
JOIN congresses c ON c.region_code = s.code JOIN mandates m ON m.congress_id = c.id
WHERE m.status = 'ACTIVE'
"""

_BY_LOCALITY = """
SELECT DISTINCT m.deputy_id, m.level FROM subtree s
JOIN deputies d ON d.locality_code = s.code JOIN mandates m ON m.deputy_id = d.id
WHERE m.status = 'ACTIVE'
"""

# The figures as ours reads them for an anonymous caller: the region's rows of the kept
# subtree totals (resolvers/reports.py COMPOSITION_NOW, STATION_COVERAGE).
_KEPT_COMPOSITION = """
(SELECT json_agg(json_build_object(
          'level', x.level, 'deputies', x.deputies, 'female', x.female,
          'grassroots', x.grassroots, 'minority', x.minority, 'under40', x.under40)
        ORDER BY x.level)
 FROM (SELECT l.level, coalesce(sum(rc.deputies), 0) AS deputies,
              coalesce(sum(rc.female), 0) AS female,
              coalesce(sum(rc.grassroots), 0) AS grassroots,
              coalesce(sum(rc.minority), 0) AS minority,
              coalesce(sum(rc.deputies) FILTER (WHERE
                  rc.birth_year > extract(year FROM current_date - interval '40 years')), 0)
                AS under40
       FROM unnest(enum_range(NULL::level)) AS l(level)
       LEFT JOIN report_counts rc
              ON rc.scope = '{scope}' AND rc.region_code = $1 AND rc.level = l.level
       GROUP BY l.level) x)
"""

REPORT_SQL = f"""
SELECT json_build_object(
  'region', (SELECT json_build_object('name', name) FROM regions WHERE code = $1),
  'reports', json_build_object(
    'congresses', {_KEPT_COMPOSITION.format(scope="CONGRESSES")},
    'locality', {_KEPT_COMPOSITION.format(scope="LOCALITY")},
    'stationCoverage', (
      SELECT json_agg(json_build_object('level', x.level, 'deputies', x.deputies,
                                        'inStation', x.in_station) ORDER BY x.level)
      FROM (SELECT l.level, coalesce(sum(rc.deputies), 0) AS deputies,
                   coalesce(sum(rc.in_station), 0) AS in_station
            FROM unnest(enum_range(NULL::level)) AS l(level)
            LEFT JOIN report_counts rc
                   ON rc.scope = 'LOCALITY' AND rc.region_code = $1 AND rc.level = l.level
            GROUP BY l.level) x)))::text
"""

# The reference answer: the deputies counted from the mandates themselves.
REPORT_CHECK_SQL = f"""
SELECT json_build_object(
  'region', (SELECT json_build_object('name', name) FROM regions WHERE code = $1),
  'reports', json_build_object(
    'congresses', {_COMPOSITION_SQL.format(counted=_BY_CONGRESS)},
    'locality', {_COMPOSITION_SQL.format(counted=_BY_LOCALITY)},
    'stationCoverage', (
      WITH subtree AS (SELECT code FROM regions WHERE lineage @> ARRAY[$1::varchar]),
      counted AS ({_BY_LOCALITY}),
      figures AS (
        SELECT l.level, count(c.deputy_id) AS deputies,
               count(c.deputy_id) FILTER (WHERE EXISTS (
                   SELECT 1 FROM station_assignments sa
                   WHERE sa.deputy_id = c.deputy_id)) AS in_station
        FROM unnest(enum_range(NULL::level)) AS l(level)
        LEFT JOIN counted c ON c.level = l.level
        GROUP BY l.level)
      SELECT json_agg(json_build_object('level', level, 'deputies', deputies,
                                        'inStation', in_station) ORDER BY level)
      FROM figures)))::text
"""

PROVINCES = """
SELECT DISTINCT r.code FROM regions r JOIN congresses c ON c.region_code = r.code
WHERE r.level = 'PROVINCIAL' AND EXISTS (SELECT 1 FROM mandates m WHERE m.congress_id = c.id)
"""


async def draw_provinces(conn: asyncpg.Connection, rng: random.Random, n: int) -> list[Vars]:
    codes = await _sample(conn, rng, n, PROVINCES)
    return [Vars({"code": c}, {"code": c}, (c,)) for c in codes]


def _figures(rows: list[Json], keys: tuple[str, ...]) -> list[Json]:
    return [tuple(r[k] for k in keys) for r in rows]


COMPOSITION_KEYS = ("level", "deputies", "female", "grassroots", "minority", "under40")
COVERAGE_KEYS = ("level", "deputies", "inStation")


def norm_report_ours(data: Json) -> Json:
    reports = data["reports"]
    return {
        "region": data["region"] and data["region"]["name"],
        "congresses": _figures(reports["congresses"], COMPOSITION_KEYS),
        "locality": _figures(reports["locality"], COMPOSITION_KEYS),
        "stationCoverage": _figures(reports["stationCoverage"], COVERAGE_KEYS),
    }


def norm_report_pg(data: Json) -> Json:
    return {
        "region": data["region"] and data["region"]["name"],
        "congresses": _figures(_nodes(data["congresses"]), COMPOSITION_KEYS),
        "locality": _figures(_nodes(data["locality"]), COMPOSITION_KEYS),
        "stationCoverage": _figures(_nodes(data["stationCoverage"]), COVERAGE_KEYS),
    }


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "deputy",
        "deputy page",
        DEPUTY_OURS,
        DEPUTY_PG,
        DEPUTY_SQL,
        draw_deputies,
        norm_deputy_ours,
        norm_deputy_pg,
    ),
    Operation(
        "station",
        "station page",
        STATION_OURS,
        STATION_PG,
        STATION_SQL,
        draw_stations,
        norm_station_ours,
        norm_station_pg,
    ),
    Operation(
        "region",
        "region drill-down",
        REGION_OURS,
        REGION_PG,
        REGION_SQL,
        draw_regions,
        norm_region_ours,
        norm_region_pg,
        check_sql=REGION_CHECK_SQL,
    ),
    Operation(
        "search",
        "pinyin search (20)",
        SEARCH_OURS,
        SEARCH_PG,
        SEARCH_SQL,
        draw_searches,
        norm_search_ours,
        norm_search_pg,
    ),
    Operation(
        "county",
        "county deputies (100)",
        COUNTY_OURS,
        COUNTY_PG,
        COUNTY_SQL,
        draw_county_pages,
        norm_county_ours,
        norm_county_pg,
    ),
    Operation(
        "report",
        "province report",
        REPORT_OURS,
        REPORT_PG,
        REPORT_SQL,
        draw_provinces,
        norm_report_ours,
        norm_report_pg,
        check_sql=REPORT_CHECK_SQL,
    ),
)
