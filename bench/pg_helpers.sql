-- Helpers that let PostGraphile answer the reference mix with the same information as our
-- service. They live in their own schema, bench_pg, which only the benchmark creates and
-- only PostGraphile exposes; each computes what our resolvers compute (resolvers/*.py),
-- from the same tables: where ours reads the kept totals of report_counts, so do they.
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

-- Region.deputies { totalCount } for a drill-down row: as our resolvers read it, the subtree
-- total kept in report_counts (db/reports.py: scope CONGRESSES, all levels together), one
-- index lookup on its key.
CREATE FUNCTION bench_pg.regions_deputy_count(r public.regions) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(rc.deputies), 0)::integer FROM public.report_counts rc
    WHERE rc.scope = 'CONGRESSES' AND rc.region_code = $1.code AND rc.level IS NULL
$$;

-- Region.stations { totalCount }: stations in the subtree, counted (ours counts them too).
-- The subtree's codes go in as an array so that stations are found by index.
CREATE FUNCTION bench_pg.regions_station_count(r public.regions) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM public.stations st
    WHERE st.region_code = ANY (ARRAY(SELECT s.code FROM public.regions s
                                      WHERE s.lineage @> ARRAY[$1.code]))
$$;

-- Reports.composition(regionCode, scope): resolvers/reports.py COMPOSITION_NOW as the service
-- runs it for an anonymous caller (ages by birth year): the region's own rows of the kept
-- subtree totals, summed over birth years.
CREATE FUNCTION bench_pg.composition(code varchar, scope text)
RETURNS SETOF bench_pg.level_composition
LANGUAGE sql STABLE AS $$
    SELECT l.level,
           coalesce(sum(rc.deputies), 0)::integer,
           coalesce(sum(rc.female), 0)::integer,
           coalesce(sum(rc.grassroots), 0)::integer,
           coalesce(sum(rc.minority), 0)::integer,
           coalesce(sum(rc.deputies) FILTER (WHERE
               rc.birth_year > extract(year FROM current_date - interval '40 years')), 0)::integer
    FROM unnest(enum_range(NULL::public.level)) AS l(level)
    LEFT JOIN public.report_counts rc
           ON rc.scope = $2 AND rc.region_code = $1 AND rc.level = l.level
    GROUP BY l.level ORDER BY l.level
$$;

-- Reports.stationCoverage(regionCode): resolvers/reports.py STATION_COVERAGE (kept totals).
CREATE FUNCTION bench_pg.station_coverage(code varchar)
RETURNS SETOF bench_pg.station_coverage
LANGUAGE sql STABLE AS $$
    SELECT l.level, coalesce(sum(rc.deputies), 0)::integer, coalesce(sum(rc.in_station), 0)::integer
    FROM unnest(enum_range(NULL::public.level)) AS l(level)
    LEFT JOIN public.report_counts rc
           ON rc.scope = 'LOCALITY' AND rc.region_code = $1 AND rc.level = l.level
    GROUP BY l.level ORDER BY l.level
$$;

-- The settings of the session PostGraphile runs in: the harness checks them against ours'.
CREATE FUNCTION bench_pg.session_settings() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'jit', current_setting('jit'), 'work_mem', current_setting('work_mem'),
        'statement_timeout', current_setting('statement_timeout'),
        'TimeZone', current_setting('TimeZone'))::text
$$;
