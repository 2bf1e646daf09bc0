"""Importing deputies with their mandates: the checks and the writes, in SQL over the whole
staged file (the temporary table import_rows, one row per mandate).

Who is who (docs/import-format.md): a person is identified by the resident ID number, or,
without one, by name + birth date + locality. Rows of one person must agree on the
person's fields (a blank cell agrees with anything). A registered deputy matches by the ID
number, or by name + birth date + locality when the registry has no ID number for them
(the file's then fills it in). A mandate is identified by person + congress term + start
date. Matched records are updated where the file differs (blank cells keep the registry's
value); nothing is ever deleted.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bulk.problems import Clock
from bulk.staging import AUDIT
from bulk.subtree import PEOPLE, PEOPLE_JOIN, personal
from core.context import Caller
from db.write_scope import visible, writable

PERSON_FIELDS = (
    "id_number", "name", "gender", "birth_date", "birth_year", "ethnicity", "party",
    "occupation", "phone", "is_grassroots", "locality_code", "name_pinyin", "search_vector",
)  # fmt: skip
COMPARED = ("name", "gender", "birth_date", "ethnicity", "party", "occupation", "phone",
            "is_grassroots", "locality_code")  # fmt: skip

RESOLVE = """
CREATE TEMP TABLE import_mandates ON COMMIT DROP AS
SELECT s.line, s.pkey, s.congress_code, s.locality_code, s.term, s.status, s.end_date,
       s.suspended_from, loc.code IS NOT NULL AS locality_known, loc.level AS locality_level,
       loc.lineage AS locality_lineage, loc.name AS locality_name, cr.code IS NOT NULL AS region_known,
       cr.name AS region_name, cr.lineage AS congress_lineage, c.id AS congress_id, c.level,
       c.name AS congress_name, t.id AS term_id, t.start_date AS term_start, t.end_date AS term_end,
       coalesce(s.start_date, t.start_date) AS start_on,
       NULL::integer AS deputy_id, NULL::integer AS mandate_id, NULL::text AS held_status
FROM import_rows s
LEFT JOIN regions loc ON loc.code = s.locality_code
LEFT JOIN regions cr ON cr.code = s.congress_code
LEFT JOIN congresses c ON c.region_code = s.congress_code
LEFT JOIN terms t ON t.congress_id = c.id
     AND CASE WHEN s.term IS NULL THEN t.end_date IS NULL ELSE t.number = s.term END
"""

# One row per person. Rows of one person that disagree are reported (DUPLICATE_PERSON), so
# for a file that passes, min() picks the one value given (blank cells aside).
PERSONS = (
    "CREATE TEMP TABLE import_persons ON COMMIT DROP AS SELECT pkey, min(line) AS line, "
    + ", ".join(
        f"bool_or({f}) AS {f}" if f == "is_grassroots" else f"min({f}) AS {f}"
        for f in PERSON_FIELDS
    )
    + ", NULL::integer AS deputy_id, NULL::text AS problem "
    "FROM import_rows WHERE pkey IS NOT NULL GROUP BY pkey"
)

# Only deputies whose personal data the importer may see are matched (import_scope,
# db.write_scope): to an editor, a deputy outside its region is no different from one
# the registry does not have, so no answer can tell an ID number's or a birth date's owner.
MATCHES = f"""
CREATE TEMP TABLE import_matches ON COMMIT DROP AS
SELECT p.pkey, 'id' AS how, d.id, d.name, d.birth_date, d.id_number
FROM import_persons p JOIN deputies d ON d.id_number = p.id_number
WHERE {visible("d.locality_code")}
UNION ALL
SELECT p.pkey, 'nb', d.id, d.name, d.birth_date, d.id_number
FROM import_persons p JOIN deputies d
     ON d.name = p.name AND d.birth_date = p.birth_date AND d.locality_code = p.locality_code
WHERE {visible("d.locality_code")}
"""

# A person matches by ID number, else (name, birth date, locality) of a deputy without
# one; anything else that matches is a DUPLICATE_PERSON the office must resolve.
DECIDE = """
WITH m AS (
    SELECT pkey,
           array_agg(DISTINCT id) FILTER (WHERE how = 'id') AS ids,
           array_agg(DISTINCT id) FILTER (WHERE how = 'nb' AND id_number IS NULL) AS free,
           array_agg(DISTINCT id) FILTER (WHERE how = 'nb' AND id_number IS NOT NULL) AS taken,
           (array_agg(name ORDER BY id) FILTER (WHERE how = 'id'))[1] AS id_name,
           (array_agg(birth_date ORDER BY id) FILTER (WHERE how = 'id'))[1] AS id_birth
    FROM import_matches GROUP BY pkey
), d AS (
    SELECT p.pkey, m.ids, m.id_name, m.id_birth, m.taken, p.id_number, p.name, p.birth_date,
           coalesce(m.free, '{}') || CASE WHEN p.id_number IS NULL THEN coalesce(m.taken, '{}')
                                          ELSE '{}' END AS by_name
    FROM import_persons p JOIN m USING (pkey)
)
UPDATE import_persons p SET
    deputy_id = CASE WHEN cardinality(d.ids) = 1 THEN d.ids[1]
                     WHEN d.ids IS NULL AND cardinality(d.by_name) = 1
                          AND (d.id_number IS NULL OR d.taken IS NULL) THEN d.by_name[1] END,
    problem = CASE
        WHEN cardinality(d.ids) > 1 THEN
            format('%s registered deputies have the ID number %s.', cardinality(d.ids), d.id_number)
        WHEN cardinality(d.ids) = 1 AND (d.id_name <> d.name OR d.id_birth <> d.birth_date) THEN
            format('The ID number %s belongs to %s, born %s, in the registry.', d.id_number,
                   d.id_name, coalesce(d.id_birth::text, 'on an unknown day'))
        WHEN d.ids IS NULL AND d.id_number IS NOT NULL AND d.taken IS NOT NULL THEN
            'A registered deputy has the same name, birth date and locality but another ID number.'
        WHEN d.ids IS NULL AND cardinality(d.by_name) > 1 THEN
            format('%s registered deputies have this name, birth date and locality: give the ID number.',
                   cardinality(d.by_name))
    END
FROM d WHERE d.pkey = p.pkey
"""

MATCH_MANDATES = """
UPDATE import_mandates r SET deputy_id = p.deputy_id FROM import_persons p
WHERE p.pkey = r.pkey AND p.deputy_id IS NOT NULL;
UPDATE import_mandates r SET mandate_id = m.id, held_status = m.status::text FROM mandates m
WHERE m.deputy_id = r.deputy_id AND m.term_id = r.term_id AND m.start_date = r.start_on
"""

_conflicts = ", ".join(f"('{f}', r.{f}::text)" for f in COMPARED)

# Each check yields (line, column, code, message).
CHECKS = [
    """SELECT line, 'locality_code', 'UNKNOWN_DIVISION', format('No division has the code %s.', locality_code)
       FROM import_mandates WHERE locality_code IS NOT NULL AND NOT locality_known""",
    """SELECT line, 'locality_code', 'INVALID_VALUE',
              format('A locality is a county- or township-level division; %s is %s level.',
                     locality_name, lower(locality_level::text))
       FROM import_mandates WHERE locality_known AND locality_level NOT IN ('COUNTY', 'TOWNSHIP')""",
    """SELECT line, 'congress_code', 'UNKNOWN_CONGRESS',
              CASE WHEN region_known THEN format('%s (%s) has no people''s congress.', region_name, congress_code)
                   ELSE format('No division has the code %s.', congress_code) END
       FROM import_mandates WHERE congress_code IS NOT NULL AND congress_id IS NULL""",
    """SELECT line, 'term', 'UNKNOWN_TERM',
              CASE WHEN term IS NULL THEN format('%s has no current term.', congress_name)
                   ELSE format('%s has no term number %s.', congress_name, term) END
       FROM import_mandates WHERE congress_id IS NOT NULL AND term_id IS NULL""",
    """SELECT line, 'start_date', 'DATE_OUTSIDE_TERM',
              format('The start date %s lies outside the term (%s to %s).', start_on, term_start,
                     coalesce(term_end::text, 'now'))
       FROM import_mandates WHERE start_on < term_start OR start_on > term_end""",
    """SELECT line, 'end_date', 'BAD_DATE', format('The end date %s is before the start date %s.', end_date, start_on)
       FROM import_mandates WHERE end_date < start_on""",
    """SELECT line, 'suspended_from', 'BAD_DATE', 'The suspension starts before the mandate.'
       FROM import_mandates WHERE suspended_from < start_on""",
    """SELECT line, 'congress_code', 'LOCALITY_OUTSIDE_REGION',
              format('A deputy living in %s cannot sit in %s: the locality lies outside its region.',
                     locality_name, congress_name)
       FROM import_mandates WHERE locality_known AND congress_id IS NOT NULL AND level <> 'NATIONAL'
            AND NOT locality_lineage @> ARRAY[congress_code]""",
    # The mutations' scope (createDeputy, addMandate): the congress lies in the region...
    f"""SELECT line, 'congress_code', 'FORBIDDEN_REGION',
              format('An editor for region %s may not write in %s.', CAST(:editor AS varchar), congress_name)
       FROM import_mandates WHERE congress_id IS NOT NULL AND NOT {writable("congress_code")}""",
    # ...and so does the person, as registered now and as the row would leave them.
    f"""SELECT r.line, 'locality_code', 'FORBIDDEN_REGION',
              format('An editor for region %s may not write a person living outside it.',
                     CAST(:editor AS varchar))
       FROM import_mandates r LEFT JOIN deputies d ON d.id = r.deputy_id
       WHERE r.locality_known
         AND (NOT {writable("r.locality_code")} OR (d.id IS NOT NULL AND NOT {writable("d.locality_code")}))""",
    f"""SELECT line, col, 'DUPLICATE_PERSON',
              format('Line %s gives the same person (%s) with %s %s; here it is %s.', first_line,
                     CASE WHEN pkey LIKE 'id:%' THEN 'ID number ' || substr(pkey, 4)
                          ELSE 'name, birth date and locality' END, col, theirs, mine)
        FROM (SELECT r.line, r.pkey, f.col, f.mine, first_value(f.mine) OVER w AS theirs,
                     first_value(r.line) OVER w AS first_line
              FROM import_rows r CROSS JOIN LATERAL (VALUES {_conflicts}) AS f(col, mine)
              WHERE r.pkey IS NOT NULL AND f.mine IS NOT NULL
              WINDOW w AS (PARTITION BY r.pkey, f.col ORDER BY r.line)) x
        WHERE mine <> theirs""",
    """SELECT p.line, 'id_number', 'DUPLICATE_PERSON',
              format('Line %s has the same name, birth date and locality with another ID number '
                     '(or none): the same person twice?', f.line)
       FROM import_persons p
       JOIN (SELECT name, birth_date, locality_code, min(line) AS line FROM import_persons
             GROUP BY 1, 2, 3 HAVING count(*) > 1) f USING (name, birth_date, locality_code)
       WHERE p.line <> f.line""",
    """SELECT r.line, 'id_number', 'DUPLICATE_PERSON', p.problem
       FROM import_rows r JOIN import_persons p USING (pkey) WHERE p.problem IS NOT NULL""",
    """SELECT r.line, 'start_date', 'DUPLICATE_ROW',
              format('Line %s already gives this mandate (same person, term and start date).', f.line)
       FROM import_mandates r
       JOIN (SELECT pkey, term_id, start_on, min(line) AS line FROM import_mandates
             WHERE pkey IS NOT NULL AND term_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) f
            USING (pkey, term_id, start_on)
       WHERE r.line <> f.line""",
    # One pass, no self-join: in start order, a mandate overlaps an earlier-starting one of
    # the same person and congress exactly when it starts before the latest end so far.
    # `latest` is [that end as a day number, its line]; repeats of one mandate are
    # DUPLICATE_ROW above and counted once.
    """SELECT line, 'start_date', 'MANDATE_OVERLAP',
              format('Overlaps the mandate of line %s in %s.', latest[2], congress_name)
       FROM (SELECT line, congress_name, start_on - DATE '1900-01-01' AS starts,
                    max(ARRAY[coalesce(end_date, DATE '9999-12-31') - DATE '1900-01-01', line])
                        OVER (PARTITION BY pkey, congress_id ORDER BY start_on, line
                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest
             FROM (SELECT DISTINCT ON (pkey, term_id, start_on) *
                   FROM import_mandates WHERE pkey IS NOT NULL AND term_id IS NOT NULL
                   ORDER BY pkey, term_id, start_on, line) once) ordered
       WHERE starts <= latest[1]""",
    """SELECT r.line, 'start_date', 'MANDATE_OVERLAP',
              format('Overlaps a mandate already registered in %s (%s to %s).', r.congress_name,
                     m.start_date, coalesce(m.end_date::text, 'now'))
       FROM import_mandates r JOIN mandates m ON m.deputy_id = r.deputy_id AND m.congress_id = r.congress_id
       WHERE m.id IS DISTINCT FROM r.mandate_id
         AND NOT EXISTS (SELECT 1 FROM import_mandates x WHERE x.mandate_id = m.id)
         AND daterange(m.start_date, m.end_date, '[]') && daterange(r.start_on, r.end_date, '[]')""",
    """SELECT line, 'status', 'MANDATE_ENDED',
              'The registry has this mandate ended; an ended mandate is not reopened.'
       FROM import_mandates WHERE held_status = 'TERMINATED' AND status <> 'TERMINATED'""",
]

# Ids for the new people, taken in file order, in a table of their own: cheaper than
# rewriting the staging tables with UPDATE.
NUMBER_NEW = """
CREATE TEMP TABLE import_new ON COMMIT DROP AS
SELECT pkey, nextval(pg_get_serial_sequence('deputies', 'id'))::integer AS id
FROM (SELECT pkey FROM import_persons WHERE deputy_id IS NULL ORDER BY line) p
"""

INSERT_DEPUTIES = """
WITH written AS (
    INSERT INTO deputies (id, name, name_pinyin, search_vector, gender, ethnicity, birth_year,
                          birth_date, phone, id_number, party, occupation, is_grassroots, locality_code)
    SELECT n.id, name, name_pinyin, CAST(search_vector AS tsvector), CAST(gender AS gender),
           ethnicity, birth_year, birth_date, phone, id_number, party, occupation,
           coalesce(is_grassroots, false), locality_code
    FROM import_persons JOIN import_new n USING (pkey) ORDER BY n.id
    RETURNING *)""" + AUDIT.format(entity="Deputy", before="NULL::jsonb")

_person_new = {
    "gender": "CAST(p.gender AS gender)",
    "locality_code": "p.locality_code",
    **{f: f"coalesce(p.{f}, d.{f})" for f in (
        "birth_date", "birth_year", "ethnicity", "party", "occupation", "phone", "is_grassroots",
        "id_number")},
}  # fmt: skip
UPDATE_DEPUTIES = f"""
WITH written AS (
    UPDATE deputies d SET {", ".join(f"{k} = {v}" for k, v in _person_new.items())},
                          version = d.version + 1
    FROM (SELECT p.*, to_jsonb(o) - 'search_vector' AS before
          FROM import_persons p JOIN deputies o ON o.id = p.deputy_id) p
    WHERE d.id = p.deputy_id
      AND ({", ".join(f"d.{k}" for k in _person_new)}) IS DISTINCT FROM ({", ".join(_person_new.values())})
    RETURNING d.*, p.before)""" + AUDIT.format(entity="Deputy", before="w.before")

INSERT_MANDATES = """
WITH written AS (
    INSERT INTO mandates (deputy_id, congress_id, term_id, level, electoral_unit, delegation,
                          start_date, end_date, status, end_reason, by_election, suspended_from,
                          suspended_until)
    SELECT coalesce(m.deputy_id, n.id), m.congress_id, m.term_id, m.level, s.electoral_unit, s.delegation,
           m.start_on, s.end_date, CAST(s.status AS mandate_status),
           CAST(s.end_reason AS mandate_end_reason), coalesce(s.by_election, false),
           s.suspended_from, s.suspended_until
    FROM import_mandates m JOIN import_rows s USING (line) LEFT JOIN import_new n ON n.pkey = m.pkey
    WHERE m.mandate_id IS NULL ORDER BY m.line
    RETURNING *)""" + AUDIT.format(entity="Mandate", before="NULL::jsonb")

_mandate_new = {
    "electoral_unit": "coalesce(s.electoral_unit, t.electoral_unit)",
    "delegation": "coalesce(s.delegation, t.delegation)",
    "status": "CAST(s.status AS mandate_status)",
    "end_date": "s.end_date",
    "end_reason": "CAST(s.end_reason AS mandate_end_reason)",
    "by_election": "coalesce(s.by_election, t.by_election)",
    "suspended_from": "s.suspended_from",
    "suspended_until": "s.suspended_until",
}
UPDATE_MANDATES = f"""
WITH written AS (
    UPDATE mandates t SET {", ".join(f"{k} = {v}" for k, v in _mandate_new.items())},
                          version = t.version + 1
    FROM (SELECT m.mandate_id, r.*, to_jsonb(o) AS before
          FROM import_mandates m JOIN import_rows r USING (line)
          JOIN mandates o ON o.id = m.mandate_id) s
    WHERE t.id = s.mandate_id
      AND ({", ".join(f"t.{k}" for k in _mandate_new)}) IS DISTINCT FROM ({", ".join(_mandate_new.values())})
    RETURNING t.*, s.before)""" + AUDIT.format(entity="Mandate", before="w.before")


async def check(
    conn: AsyncConnection, editor_region: str | None, clock: Clock
) -> list[tuple[int, str | None, str, str]]:
    for table in ("import_mandates", "import_persons", "import_matches"):
        await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    for sql in (RESOLVE, PERSONS, "ANALYZE import_mandates", "ANALYZE import_persons", MATCHES,
                DECIDE, MATCH_MANDATES):  # fmt: skip
        for statement in sql.split(";\n"):
            await clock.tick(conn)
            await conn.execute(text(statement))
    query = "\nUNION ALL\n".join(f"({c})" for c in CHECKS)
    await clock.tick(conn)
    rows = await conn.execute(text(query), {"editor": editor_region})
    return [(int(line), column, code, message) for line, column, code, message in rows]


async def apply(conn: AsyncConnection, actor: str, role: str, clock: Clock) -> dict[str, int]:
    """Write the checked file: new people and mandates, and what differs of the others."""
    who = {"actor": actor, "role": role}
    await conn.execute(text("DROP TABLE IF EXISTS import_new"))
    await clock.tick(conn)
    await conn.execute(text(NUMBER_NEW))
    counts: dict[str, int] = {}
    for name, sql in (
        ("deputies.created", INSERT_DEPUTIES),
        ("deputies.updated", UPDATE_DEPUTIES),
        ("mandates.created", INSERT_MANDATES),
        ("mandates.updated", UPDATE_MANDATES),
    ):
        await clock.tick(conn)
        counts[name] = (await conn.execute(text(sql), who)).scalar_one()
    matched = await conn.scalar(
        text("SELECT count(*) FROM import_mandates WHERE mandate_id IS NOT NULL")
    )
    counts["mandates.unchanged"] = int(matched or 0) - counts["mandates.updated"]
    return counts


def export_query(caller: Caller) -> str:
    """The CSV export's rows of a subtree (bulk.subtree), in this kind's columns."""
    return f"""
            SELECT {personal(caller, "d.id_number")}, d.name, d.gender, {personal(caller, "d.birth_date")},
                   d.birth_year, d.ethnicity, d.party, d.occupation, {personal(caller, "d.phone")},
                   d.is_grassroots, d.locality_code, c.region_code, t.number, x.start_date,
                   x.electoral_unit, x.delegation, x.by_election, x.status, x.end_date, x.end_reason,
                   x.suspended_from, x.suspended_until
            FROM mandates x {PEOPLE_JOIN}
            JOIN congresses c ON c.id = x.congress_id JOIN terms t ON t.id = x.term_id
            WHERE x.deputy_id IN ({PEOPLE}) ORDER BY d.id, x.id"""
