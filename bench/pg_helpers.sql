-- Helpers that let PostGraphile answer the reference mix with the same information as our
-- service. They live in their own schema, bench_pg, which only the benchmark creates and
-- only PostGraphile exposes; each computes what our resolvers compute (resolvers/*.py).
DROP SCHEMA IF EXISTS bench_pg CASCADE;
CREATE SCHEMA bench_pg;

CREATE TYPE bench_pg.level_count AS (level public.level, count integer);
CREATE TYPE bench_pg.level_composition AS (
    level public.level, deputies integer, female integer, grassroots integer,
    minority integer, under40 integer
);
CREATE TYPE bench_pg.station_coverage AS (level public.level, deputies integer, in_station integer);

-- db/pinyin.py search_query(): one prefix term of the lower-cased input's letters, digits and
-- CJK characters; NULL (matches nothing) when nothing is left.
CREATE FUNCTION bench_pg.prefix_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN regexp_replace(lower(q), '[^0-9a-z\u3400-\u9fff]+', '', 'g') = '' THEN NULL
                ELSE (quote_literal(regexp_replace(lower(q), '[^0-9a-z\u3400-\u9fff]+', '', 'g'))
                      || ':*')::tsquery END
$$;

-- Query.deputies(filter: {search}): deputies with an active mandate whose keys match.
CREATE FUNCTION bench_pg.search_deputies(q text) RETURNS SETOF public.deputies
LANGUAGE sql STABLE AS $$
    SELECT d.* FROM public.deputies d
    WHERE d.search_vector @@ bench_pg.prefix_query(q)
      AND EXISTS (SELECT 1 FROM public.mandates m
                  WHERE m.deputy_id = d.id AND m.status = 'ACTIVE')
    ORDER BY d.name_pinyin, d.id
$$;

-- Query.deputies(filter: {regionCode, levels}): an active mandate at one of the levels in a
-- congress of the region's subtree.
CREATE FUNCTION bench_pg.region_deputies(code varchar, levels public.level[])
RETURNS SETOF public.deputies
LANGUAGE sql STABLE AS $$
    SELECT d.* FROM public.deputies d
    WHERE EXISTS (
        SELECT 1 FROM public.mandates m
        WHERE m.deputy_id = d.id AND m.status = 'ACTIVE' AND m.level = ANY ($2)
          AND m.congress_id IN (
              SELECT c.id FROM public.congresses c
              WHERE c.region_code IN (SELECT r.code FROM public.regions r
                                      WHERE r.lineage @> ARRAY[$1])))
    ORDER BY d.name_pinyin, d.id
$$;

-- Station.deputies (a computed column, Station.activeDeputies): stationed deputies with an
-- active mandate, by pinyin.
CREATE FUNCTION bench_pg.stations_active_deputies(s public.stations) RETURNS SETOF public.deputies
LANGUAGE sql STABLE AS $$
    SELECT d.* FROM public.deputies d
    JOIN public.station_assignments sa ON sa.deputy_id = d.id AND sa.station_id = $1.id
    WHERE EXISTS (SELECT 1 FROM public.mandates m
                  WHERE m.deputy_id = d.id AND m.status = 'ACTIVE')
    ORDER BY d.name_pinyin, d.id
$$;

-- Station.deputyCountByLevel: every level, zeros included, highest first.
CREATE FUNCTION bench_pg.stations_deputy_count_by_level(s public.stations)
RETURNS SETOF bench_pg.level_count
LANGUAGE sql STABLE AS $$
    SELECT l.level, count(DISTINCT m.deputy_id)::integer
    FROM unnest(enum_range(NULL::public.level)) AS l(level)
    LEFT JOIN (public.station_assignments sa
               JOIN public.mandates m ON m.deputy_id = sa.deputy_id AND m.status = 'ACTIVE')
           ON m.level = l.level AND sa.station_id = $1.id
    GROUP BY l.level ORDER BY l.level
$$;

-- Region.deputies { totalCount } and Region.stations { totalCount } for a drill-down row:
-- deputies with an active mandate in a congress of the region's subtree, counted once, and
-- stations in the subtree. The subtree's codes go in as an array so that congresses and
-- stations are found by index.
CREATE FUNCTION bench_pg.regions_deputy_count(r public.regions) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(DISTINCT m.deputy_id)::integer
    FROM public.congresses c
    JOIN public.mandates m ON m.congress_id = c.id AND m.status = 'ACTIVE'
    WHERE c.region_code = ANY (ARRAY(SELECT s.code FROM public.regions s
                                     WHERE s.lineage @> ARRAY[$1.code]))
$$;

CREATE FUNCTION bench_pg.regions_station_count(r public.regions) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM public.stations st
    WHERE st.region_code = ANY (ARRAY(SELECT s.code FROM public.regions s
                                      WHERE s.lineage @> ARRAY[$1.code]))
$$;

-- Reports.composition(regionCode, scope): resolvers/reports.py COMPOSITION, whole subtree,
-- mandates active today.
CREATE FUNCTION bench_pg.composition(code varchar, scope text)
RETURNS SETOF bench_pg.level_composition
LANGUAGE sql STABLE AS $$
    WITH subtree AS (SELECT r.code FROM public.regions r WHERE r.lineage @> ARRAY[$1]),
    counted AS (
        SELECT DISTINCT m.deputy_id, m.level
        FROM subtree s
        JOIN public.congresses c ON c.region_code = s.code
        JOIN public.mandates m ON m.congress_id = c.id
        WHERE $2 = 'CONGRESSES' AND m.status = 'ACTIVE'
        UNION
        SELECT DISTINCT m.deputy_id, m.level
        FROM subtree s
        JOIN public.deputies d ON d.locality_code = s.code
        JOIN public.mandates m ON m.deputy_id = d.id
        WHERE $2 = 'LOCALITY' AND m.status = 'ACTIVE'
    )
    SELECT l.level,
           count(d.id)::integer,
           (count(d.id) FILTER (WHERE d.gender = 'FEMALE'))::integer,
           (count(d.id) FILTER (WHERE d.is_grassroots))::integer,
           (count(d.id) FILTER (WHERE d.ethnicity IS NOT NULL AND d.ethnicity <> '汉族'))::integer,
           (count(d.id) FILTER (WHERE
               -- by birth year, as the service counts for anonymous callers (docs/reports.md)
               extract(year FROM current_date) - d.birth_year < 40))::integer
    FROM unnest(enum_range(NULL::public.level)) AS l(level)
    LEFT JOIN counted c ON c.level = l.level
    LEFT JOIN public.deputies d ON d.id = c.deputy_id
    GROUP BY l.level ORDER BY l.level
$$;

-- Reports.stationCoverage(regionCode): resolvers/reports.py STATION_COVERAGE.
CREATE FUNCTION bench_pg.station_coverage(code varchar)
RETURNS SETOF bench_pg.station_coverage
LANGUAGE sql STABLE AS $$
    WITH subtree AS (SELECT r.code FROM public.regions r WHERE r.lineage @> ARRAY[$1]),
    counted AS (
        SELECT DISTINCT m.deputy_id, m.level
        FROM subtree s
        JOIN public.deputies d ON d.locality_code = s.code
        JOIN public.mandates m ON m.deputy_id = d.id AND m.status = 'ACTIVE'
    )
    SELECT l.level, count(c.deputy_id)::integer,
           (count(c.deputy_id) FILTER (WHERE EXISTS (
               SELECT 1 FROM public.station_assignments sa
               WHERE sa.deputy_id = c.deputy_id)))::integer
    FROM unnest(enum_range(NULL::public.level)) AS l(level)
    LEFT JOIN counted c ON c.level = l.level
    GROUP BY l.level ORDER BY l.level
$$;
