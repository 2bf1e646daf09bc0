"""Report counts: each region's subtree totals, kept current by triggers.

A national composition counted from the mandates reads ~3 million of them; from
`report_counts` it reads the nation's own few hundred rows. A row holds the deputies
counted in the whole subtree of its region (see db/reports.py), so a deputy contributes
one row per ancestor of the congress (CONGRESSES) or locality (LOCALITY) where a mandate
of theirs counts.

Statement-level triggers on mandates, deputies and station assignments find the deputies
a statement touched, compute what those deputies contributed before and after it (the
"before" is the table as it is now with the transition table's old rows put back), and add
the difference. A bulk import pays one set-based pass per statement; a mutation a few rows.
The seed turns the triggers off while it loads and calls `registry_rebuild_report_counts()`
once at the end.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVEL = postgresql.ENUM(
    "NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY", "TOWNSHIP", name="level", create_type=False
)

# Born in or before 1980 (or unknown): never under 40 again from 2021 on, so one bucket (0)
# instead of a row per year keeps the table and its rebuild small.
BIRTH_YEAR = "CASE WHEN d.birth_year > 1980 THEN d.birth_year ELSE 0 END"

# What the deputies of relations m (mandates), d (deputies) and st (station assignments)
# contribute: per scope, ancestor region, level (NULL: all levels) and birth year. DISTINCT
# makes a deputy count once per row however many of their mandates lead there.
CONTRIBUTION = """
SELECT k.scope, k.region_code, k.level, {BIRTH_YEAR} AS birth_year,
       count(*) AS deputies,
       count(*) FILTER (WHERE d.gender = 'FEMALE') AS female,
       count(*) FILTER (WHERE d.is_grassroots) AS grassroots,
       count(*) FILTER (WHERE d.ethnicity IS NOT NULL AND d.ethnicity <> '汉族') AS minority,
       count(s.deputy_id) AS in_station
FROM (
    SELECT DISTINCT 'CONGRESSES' AS scope, a.code AS region_code, l.level, m.deputy_id
    FROM {m} m
    JOIN congresses c ON c.id = m.congress_id
    JOIN regions r ON r.code = c.region_code
    CROSS JOIN unnest(r.lineage) AS a(code)
    CROSS JOIN LATERAL (VALUES (m.level), (NULL::level)) AS l(level)
    WHERE m.status = 'ACTIVE'
    UNION ALL
    SELECT DISTINCT 'LOCALITY', a.code, m.level, m.deputy_id
    FROM {m} m
    JOIN {d} d ON d.id = m.deputy_id
    JOIN regions r ON r.code = d.locality_code
    CROSS JOIN unnest(r.lineage) AS a(code)
    WHERE m.status = 'ACTIVE'
) k
JOIN {d} d ON d.id = k.deputy_id
LEFT JOIN (SELECT DISTINCT deputy_id FROM {st}) s ON s.deputy_id = d.id
GROUP BY 1, 2, 3, 4
""".replace("{BIRTH_YEAR}", BIRTH_YEAR)

MEASURES = ("deputies", "female", "grassroots", "minority", "in_station")
KEY = "scope, region_code, level, birth_year"

MANDATE_COLUMNS = "id, deputy_id, congress_id, level, status"
DEPUTY_COLUMNS = "id, locality_code, gender, ethnicity, birth_year, is_grassroots"
STATION_COLUMNS = "station_id, deputy_id"

# Per trigger: the touched deputies, and the before-state of the relation the statement
# changed (the other relations are the same before and after).
TRIGGERS = {
    "mandates_insert": (
        "mandates",
        "INSERT",
        "REFERENCING NEW TABLE AS new_rows",
        "SELECT deputy_id FROM new_rows",
        {"m": "SELECT * FROM m_after WHERE id NOT IN (SELECT id FROM new_rows)"},
    ),
    "mandates_update": (
        "mandates",
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        # Most updates (version, dates, the change feed's stamps) leave the counts alone.
        "SELECT o.deputy_id FROM old_rows o JOIN new_rows n USING (id) "
        "WHERE (o.deputy_id, o.congress_id, o.level, o.status) "
        "IS DISTINCT FROM (n.deputy_id, n.congress_id, n.level, n.status) "
        "UNION SELECT n.deputy_id FROM old_rows o JOIN new_rows n USING (id) "
        "WHERE o.deputy_id <> n.deputy_id",
        {
            "m": f"SELECT * FROM m_after WHERE id NOT IN (SELECT id FROM new_rows) "
            f"UNION ALL SELECT {MANDATE_COLUMNS} FROM old_rows "
            f"WHERE deputy_id IN (SELECT id FROM touched)"
        },
    ),
    "mandates_delete": (
        "mandates",
        "DELETE",
        "REFERENCING OLD TABLE AS old_rows",
        "SELECT deputy_id FROM old_rows",
        {"m": f"SELECT * FROM m_after UNION ALL SELECT {MANDATE_COLUMNS} FROM old_rows"},
    ),
    "deputies_update": (
        "deputies",
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT n.id FROM old_rows o JOIN new_rows n USING (id) "
        "WHERE (o.locality_code, o.gender, o.ethnicity, o.birth_year, o.is_grassroots) "
        "IS DISTINCT FROM (n.locality_code, n.gender, n.ethnicity, n.birth_year, n.is_grassroots)",
        {"d": f"SELECT {DEPUTY_COLUMNS} FROM old_rows WHERE id IN (SELECT id FROM touched)"},
    ),
    "station_assignments_insert": (
        "station_assignments",
        "INSERT",
        "REFERENCING NEW TABLE AS new_rows",
        "SELECT deputy_id FROM new_rows",
        {
            "st": "SELECT * FROM st_after WHERE (station_id, deputy_id) NOT IN "
            "(SELECT station_id, deputy_id FROM new_rows)"
        },
    ),
    "station_assignments_delete": (
        "station_assignments",
        "DELETE",
        "REFERENCING OLD TABLE AS old_rows",
        "SELECT deputy_id FROM old_rows",
        {"st": f"SELECT * FROM st_after UNION ALL SELECT {STATION_COLUMNS} FROM old_rows"},
    ),
}

ADD = f"""
INSERT INTO report_counts AS t ({KEY}, {", ".join(MEASURES)})
SELECT {KEY}, {", ".join(f"sum({m})" for m in MEASURES)}
FROM ({{rows}}) changes
GROUP BY {KEY}
HAVING {" OR ".join(f"sum({m}) <> 0" for m in MEASURES)}
ORDER BY {KEY}
ON CONFLICT ({KEY}) DO UPDATE SET {", ".join(f"{m} = t.{m} + excluded.{m}" for m in MEASURES)}
"""


def _trigger_function(name: str, touched: str, before: dict[str, str]) -> str:
    after = {
        "m": f"SELECT {MANDATE_COLUMNS} FROM mandates WHERE deputy_id IN (SELECT id FROM touched)",
        "d": f"SELECT {DEPUTY_COLUMNS} FROM deputies WHERE id IN (SELECT id FROM touched)",
        "st": f"SELECT {STATION_COLUMNS} FROM station_assignments "
        f"WHERE deputy_id IN (SELECT id FROM touched)",
    }
    ctes = [f"touched(id) AS ({touched})"]
    ctes += [f"{r}_after AS ({sql})" for r, sql in after.items()]
    ctes += [f"{r}_before AS ({before.get(r, f'SELECT * FROM {r}_after')})" for r in after]
    after_rows = CONTRIBUTION.format(m="m_after", d="d_after", st="st_after")
    before_rows = CONTRIBUTION.format(m="m_before", d="d_before", st="st_before")
    negated = ", ".join(f"-{m}" for m in MEASURES)
    rows = f"{after_rows} UNION ALL SELECT {KEY}, {negated} FROM ({before_rows}) b"
    body = ADD.format(rows=rows).replace("INSERT INTO", f"WITH {', '.join(ctes)} INSERT INTO", 1)
    return f"""
CREATE FUNCTION registry_report_counts_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body};
    RETURN NULL;
END $$;
"""


# The full count (after a bulk load), the same rows as CONTRIBUTION over every deputy but
# cheaper: deputies with one mandate in force (all but a few percent) are counted per
# congress region, locality, level and birth year first, and those totals added up into
# each ancestor; at all levels together such a deputy is their one level's count. Only
# deputies with several mandates are spread over ancestors one by one, with DISTINCT.
SUMMED = ", ".join(f"sum({m}) AS {m}" for m in MEASURES)
# Deputies with several mandates in force, spread over the ancestors one by one.
SPREAD = f"""
    SELECT p.scope, p.region_code, p.level, {BIRTH_YEAR} AS birth_year, count(*) AS deputies, count(*) FILTER (WHERE d.gender = 'FEMALE') AS female,
               count(*) FILTER (WHERE d.is_grassroots) AS grassroots,
               count(*) FILTER (WHERE d.ethnicity IS NOT NULL AND d.ethnicity <> '汉族') AS minority,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM station_assignments sa
                                              WHERE sa.deputy_id = d.id)) AS in_station
    FROM (
        SELECT DISTINCT 'CONGRESSES' AS scope, x.code AS region_code, l.level, m.deputy_id
        FROM several s
        JOIN mandates m ON m.deputy_id = s.deputy_id AND m.status = 'ACTIVE'
        JOIN congresses c ON c.id = m.congress_id
        JOIN regions r ON r.code = c.region_code
        CROSS JOIN unnest(r.lineage) AS x(code)
        CROSS JOIN LATERAL (VALUES (m.level), (NULL::level)) AS l(level)
        UNION ALL
        SELECT DISTINCT 'LOCALITY', x.code, m.level, m.deputy_id
        FROM several s
        JOIN mandates m ON m.deputy_id = s.deputy_id AND m.status = 'ACTIVE'
        JOIN deputies d ON d.id = m.deputy_id
        JOIN regions r ON r.code = d.locality_code
        CROSS JOIN unnest(r.lineage) AS x(code)
    ) p
    JOIN deputies d ON d.id = p.deputy_id
    GROUP BY 1, 2, 3, 4
"""
# Two statements: the deputies with one mandate give disjoint rows (no final GROUP BY over
# millions of rows), then the others' rows are added to them.
REBUILD = f"""
CREATE FUNCTION registry_rebuild_report_counts() RETURNS void LANGUAGE plpgsql
SET work_mem = '256MB' AS $$
BEGIN
    TRUNCATE report_counts;
    -- Loaded without its unique index, which is built once afterwards (faster than
    -- keeping it up to date row by row).
    ALTER TABLE report_counts DROP CONSTRAINT uq_report_counts_key;
    DROP TABLE IF EXISTS pg_temp.several;
    CREATE TEMPORARY TABLE several ON COMMIT DROP AS
        SELECT deputy_id FROM mandates WHERE status = 'ACTIVE'
        GROUP BY deputy_id HAVING count(*) > 1;
    ANALYZE several;

    INSERT INTO report_counts ({KEY}, {", ".join(MEASURES)})
    WITH single AS (
        SELECT c.region_code, d.locality_code, m.level, {BIRTH_YEAR} AS birth_year,
               count(*) AS deputies, count(*) FILTER (WHERE d.gender = 'FEMALE') AS female,
               count(*) FILTER (WHERE d.is_grassroots) AS grassroots,
               count(*) FILTER (WHERE d.ethnicity IS NOT NULL AND d.ethnicity <> '汉族') AS minority,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM station_assignments sa
                                              WHERE sa.deputy_id = d.id)) AS in_station
        FROM mandates m
        JOIN congresses c ON c.id = m.congress_id
        JOIN deputies d ON d.id = m.deputy_id
        WHERE m.status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM several s WHERE s.deputy_id = m.deputy_id)
        GROUP BY 1, 2, 3, 4
    ),
    by_congress AS (
        SELECT x.code AS region_code, s.level, s.birth_year, {SUMMED}
        FROM single s JOIN regions r ON r.code = s.region_code
        CROSS JOIN unnest(r.lineage) AS x(code)
        GROUP BY 1, 2, 3
    )
    SELECT 'CONGRESSES', * FROM by_congress
    UNION ALL
    SELECT 'CONGRESSES', region_code, NULL, birth_year, {SUMMED}
    FROM by_congress GROUP BY region_code, birth_year
    UNION ALL
    SELECT 'LOCALITY', x.code, s.level, s.birth_year, {SUMMED}
    FROM single s JOIN regions r ON r.code = s.locality_code
    CROSS JOIN unnest(r.lineage) AS x(code)
    GROUP BY 2, 3, 4;

    ALTER TABLE report_counts ADD CONSTRAINT uq_report_counts_key
        UNIQUE NULLS NOT DISTINCT (scope, region_code, level, birth_year);
    {ADD.format(rows=SPREAD)};
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "report_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(9), nullable=False),
        sa.Column("level", LEVEL, nullable=True),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("deputies", sa.Integer(), nullable=False),
        sa.Column("female", sa.Integer(), nullable=False),
        sa.Column("grassroots", sa.Integer(), nullable=False),
        sa.Column("minority", sa.Integer(), nullable=False),
        sa.Column("in_station", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "scope",
            "region_code",
            "level",
            "birth_year",
            name="uq_report_counts_key",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index("ix_deputies_birth_date", "deputies", ["birth_date"])
    op.execute(REBUILD)
    for name, (table, event, referencing, touched, before) in TRIGGERS.items():
        op.execute(_trigger_function(name, touched, before))
        op.execute(
            f"CREATE TRIGGER trg_report_counts_{name} AFTER {event} ON {table} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION registry_report_counts_{name}()"
        )
    # Counting a national database's mandates outlasts the service's statement timeout.
    op.execute("SET LOCAL statement_timeout = 0")
    op.execute("SELECT registry_rebuild_report_counts()")


def downgrade() -> None:
    for name, (table, *_rest) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER trg_report_counts_{name} ON {table}")
        op.execute(f"DROP FUNCTION registry_report_counts_{name}()")
    op.execute("DROP FUNCTION registry_rebuild_report_counts()")
    op.drop_index("ix_deputies_birth_date", table_name="deputies")
    op.drop_table("report_counts")
