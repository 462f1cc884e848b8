-- The lower bound for `published.maalgruppe_status`: one hand-written DuckDB script, no
-- orchestration, no contracts, no pseudonyms, no intermediate tables kept. Run by
-- bench/plain_duckdb.py, which fills in the {{placeholders}}:
--   {{momentum}}   the newest momentum/<YYYYMMDD>/ folder (with _kontrol.csv)
--   {{adresser}}   omraader/adresser.csv
--   {{koder}}      dbt_project/seeds/maalgruppe_koder.csv
--   {{extract_date}} the folder name as a date
--   {{plan_areas}} VALUES (plan_id, boligomraade), ... from plans/*.yaml
--   {{opera}}      the newest opera/<YYYYMMDD>/ folder, transcoded to UTF-8 (DuckDB reads
--                  no cp1252 here), and {{opera_date}} its extract date
--   {{history_years}}, {{min_days_6_1}}, {{suppress_max}}  the dbt vars
-- It computes the same counts as the pipeline (docs/indicators.md `maalgruppe_antal`, Opera
-- filling the days Momentum does not cover) with primary disclosure control; bench/run.py
-- checks the counts equal the pipeline's marts.maalgruppe_antal. (Secondary suppression
-- is iterative and left to the pipeline.)

-- Målgruppe periods. CPR normalised (no pseudonym: this is the lower bound).
CREATE TEMP TABLE periods AS
SELECT
    regexp_replace("CPR-nummer", '[\s-]', '', 'g')              AS cpr,
    nullif(trim("Målgruppekode"), '')                           AS code,
    strptime(trim("Startdato"), '%d-%m-%Y')::DATE               AS start_date,
    strptime(nullif(trim("Slutdato"), ''), '%d-%m-%Y')::DATE    AS end_date
FROM read_csv('{{momentum}}/maalgruppe.csv', delim=';', header=true, quote='"',
    columns={'CPR-nummer': 'VARCHAR', 'Målgruppekode': 'VARCHAR', 'Målgruppe': 'VARCHAR',
             'Startdato': 'VARCHAR', 'Slutdato': 'VARCHAR', 'Afslutningsårsag': 'VARCHAR'});

-- Opera where Momentum is silent: LAB § 2 -> § 6, the days of each Opera period that no
-- Momentum period of the person covers, none after Opera's extract date (docs/sources.md:
-- Momentum wins, day by day). Gaps = the complement of the person's Momentum periods.
CREATE TEMP MACRO uncovered_gaps(tbl) AS TABLE
WITH islands AS (
    SELECT cpr, min(s) AS s, max(e) AS e
    FROM (
        SELECT *, sum(new_island) OVER (PARTITION BY cpr ORDER BY s, e) AS island
        FROM (
            SELECT cpr, s, e,
                   CASE WHEN s <= max(e) OVER (PARTITION BY cpr ORDER BY s, e
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + 1
                        THEN 0 ELSE 1 END AS new_island
            FROM query_table(tbl)
        )
    )
    GROUP BY cpr, island
)
SELECT cpr, coalesce(lag(e) OVER (PARTITION BY cpr ORDER BY s) + 1, DATE '0001-01-01') AS gap_start, s - 1 AS gap_end
FROM islands
UNION ALL
SELECT cpr, max(e) + 1, DATE '9999-12-31' FROM islands GROUP BY cpr HAVING max(e) < DATE '9999-12-31';

CREATE TEMP TABLE momentum_mg AS
SELECT cpr, start_date AS s, coalesce(end_date, DATE '9999-12-31') AS e FROM periods;

INSERT INTO periods
WITH opera AS (
    SELECT regexp_replace(CPRNR, '[\s-]', '', 'g') AS cpr,
           CASE trim(LAB_GRP) WHEN '2.1' THEN '6.1' WHEN '2.2' THEN '6.2' WHEN '2.3' THEN '6.3'
                              WHEN '2.12' THEN '6.4' WHEN '2.13' THEN '6.5' END AS code,
           strptime(trim(FRA_DATO), '%Y-%m-%d')::DATE AS start_date,
           least(coalesce(strptime(nullif(trim(TIL_DATO), ''), '%Y-%m-%d')::DATE, DATE '9999-12-31'),
                 DATE '{{opera_date}}') AS end_date
    FROM read_csv('{{opera}}/MATCHPERIODER.csv', delim=';', header=true, all_varchar=true)
),
gaps AS (SELECT * FROM uncovered_gaps('momentum_mg')),
pieces AS (
    SELECT o.cpr, o.code, o.start_date, o.end_date FROM opera AS o
    WHERE o.code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM momentum_mg AS m WHERE m.cpr = o.cpr)
    UNION ALL
    SELECT o.cpr, o.code, greatest(o.start_date, g.gap_start), least(o.end_date, g.gap_end)
    FROM opera AS o JOIN gaps AS g ON g.cpr = o.cpr AND g.gap_start <= o.end_date AND g.gap_end >= o.start_date
    WHERE o.code IS NOT NULL
)
SELECT cpr, code, start_date, end_date FROM pieces WHERE start_date <= end_date;

-- Address periods with the normalised address (docs/sources.md: case and white space folded,
-- 12A = 12 A = 12a, leading zeros of the house number dropped).
CREATE TEMP TABLE addr AS
SELECT
    regexp_replace("CPR-nummer", '[\s-]', '', 'g')                              AS cpr,
    trim(regexp_replace(lower("Vejnavn"), '\s+', ' ', 'g'))                     AS street,
    regexp_replace(regexp_replace(upper("Husnummer"), '\s+', '', 'g'), '^0+([0-9])', '\1') AS number,
    regexp_replace("Postnummer", '^\s+|\s+$', '', 'g')                          AS postcode,
    nullif(trim("Kommunekode"), '')                                             AS kommunekode,
    strptime(trim("Gyldig fra"), '%d-%m-%Y')::DATE                              AS gyldig_fra,
    strptime(nullif(trim("Gyldig til"), ''), '%d-%m-%Y')::DATE                  AS gyldig_til
FROM read_csv('{{momentum}}/borger_adresse.csv', delim=';', header=true, quote='"',
    columns={'CPR-nummer': 'VARCHAR', 'Vejnavn': 'VARCHAR', 'Husnummer': 'VARCHAR', 'Etage': 'VARCHAR',
             'Side/dør': 'VARCHAR', 'Postnummer': 'VARCHAR', 'By': 'VARCHAR', 'Kommunekode': 'VARCHAR',
             'Gyldig fra': 'VARCHAR', 'Gyldig til': 'VARCHAR'});

CREATE TEMP TABLE momentum_addr AS
SELECT cpr, gyldig_fra AS s, coalesce(gyldig_til, DATE '9999-12-31') AS e FROM addr;

INSERT INTO addr
WITH opera AS (
    SELECT regexp_replace(CPRNR, '[\s-]', '', 'g') AS cpr,
           trim(regexp_replace(lower(VEJNAVN), '\s+', ' ', 'g')) AS street,
           regexp_replace(regexp_replace(upper(HUSNR), '\s+', '', 'g'), '^0+([0-9])', '\1') AS number,
           trim(POSTNR) AS postcode,
           strptime(trim(FRA_DATO), '%Y-%m-%d')::DATE AS gyldig_fra,
           least(coalesce(strptime(nullif(trim(TIL_DATO), ''), '%Y-%m-%d')::DATE, DATE '9999-12-31'),
                 DATE '{{opera_date}}') AS gyldig_til
    FROM read_csv('{{opera}}/ADRESSER.csv', delim=';', header=true, all_varchar=true)
),
gaps AS (SELECT * FROM uncovered_gaps('momentum_addr')),
pieces AS (
    SELECT o.cpr, o.street, o.number, o.postcode, NULL AS kommunekode, o.gyldig_fra, o.gyldig_til FROM opera AS o
    WHERE NOT EXISTS (SELECT 1 FROM momentum_addr AS m WHERE m.cpr = o.cpr)
    UNION ALL
    SELECT o.cpr, o.street, o.number, o.postcode, NULL, greatest(o.gyldig_fra, g.gap_start), least(o.gyldig_til, g.gap_end)
    FROM opera AS o JOIN gaps AS g ON g.cpr = o.cpr AND g.gap_start <= o.gyldig_til AND g.gap_end >= o.gyldig_fra
)
SELECT * FROM pieces WHERE gyldig_fra <= gyldig_til;

-- The register, one row per distinct (address, afdeling).
CREATE TEMP TABLE register AS
SELECT DISTINCT
    trim(regexp_replace(lower("Vejnavn"), '\s+', ' ', 'g'))                     AS street,
    regexp_replace(regexp_replace(upper("Husnummer"), '\s+', '', 'g'), '^0+([0-9])', '\1') AS number,
    regexp_replace("Postnummer", '^\s+|\s+$', '', 'g')                          AS postcode,
    nullif(trim("Afdelingsnummer"), '')                                         AS afdelingsnummer,
    nullif(trim("Boligområde"), '')                                             AS boligomraade
FROM read_csv('{{adresser}}', delim=';', header=true, quote='"',
    columns={'Boligområde': 'VARCHAR', 'Afdelingsnummer': 'VARCHAR', 'Afdelingsnavn': 'VARCHAR',
             'Vejnavn': 'VARCHAR', 'Husnummer': 'VARCHAR', 'Postnummer': 'VARCHAR'});

CREATE TEMP TABLE koder AS
SELECT maalgruppe_code, maalgruppe_name
FROM read_csv('{{koder}}', delim=',', header=true, quote='"', all_varchar=true);

CREATE TEMP TABLE plan_areas AS
SELECT DISTINCT plan_id, boligomraade FROM (VALUES {{plan_areas}}) AS t(plan_id, boligomraade);

-- Every month end from the first målgruppe start (at most history_years back) to the extract date.
CREATE TEMP TABLE month_ends AS
WITH bounds AS (
    SELECT DATE '{{extract_date}}' AS extract_date,
           greatest(min(start_date), DATE '{{extract_date}}' - INTERVAL {{history_years}} YEAR) AS first_day
    FROM periods
)
SELECT CAST(last_day(m) AS DATE) AS as_of_date
FROM bounds, unnest(generate_series(date_trunc('month', first_day), extract_date, INTERVAL 1 MONTH)) AS t(m)
WHERE last_day(m) <= extract_date;

-- 6.1 spells: 6.1 periods merged when one starts no later than the day after the previous
-- ended (a person's periods do not overlap, so the previous end is the latest end).
CREATE TEMP TABLE spell_start_6_1 AS
WITH flagged AS (
    SELECT cpr, start_date, end_date,
           CASE WHEN start_date <= lag(end_date) OVER w + 1 THEN 0 ELSE 1 END AS new_spell
    FROM periods WHERE code = '6.1'
    WINDOW w AS (PARTITION BY cpr ORDER BY start_date)
),
numbered AS (
    SELECT *, sum(new_spell) OVER (PARTITION BY cpr ORDER BY start_date ROWS UNBOUNDED PRECEDING) AS spell_no
    FROM flagged
)
SELECT cpr, min(start_date) AS spell_start, max(coalesce(end_date, DATE '9999-12-31')) AS spell_end
FROM numbered GROUP BY cpr, spell_no;

-- Who is in which målgruppe on each month end (6.1 only after min_days_6_1 days of spell).
-- At most one row per person and day: a person's periods do not overlap.
CREATE TEMP TABLE status AS
SELECT d.as_of_date, p.cpr, p.code
FROM month_ends AS d
JOIN periods AS p
  ON d.as_of_date BETWEEN p.start_date AND coalesce(p.end_date, DATE '9999-12-31')
WHERE p.code <> '6.1'
UNION ALL
SELECT d.as_of_date, s.cpr, '6.1'
FROM month_ends AS d
JOIN spell_start_6_1 AS s
  ON d.as_of_date BETWEEN s.spell_start AND s.spell_end
WHERE datediff('day', s.spell_start, d.as_of_date) + 1 >= {{min_days_6_1}};

-- Where they live that day: the address period covering it, matched to the register.
CREATE TEMP TABLE lives_in AS
SELECT s.as_of_date, s.code, r.afdelingsnummer, r.boligomraade
FROM status AS s
JOIN addr AS a
  ON a.cpr = s.cpr AND s.as_of_date BETWEEN a.gyldig_fra AND coalesce(a.gyldig_til, DATE '9999-12-31')
JOIN register AS r
  ON r.street = a.street AND r.number = a.number AND r.postcode = a.postcode;

CREATE TEMP TABLE kommune AS SELECT mode(kommunekode) AS kommunekode FROM addr;

CREATE TEMP TABLE counts AS
SELECT as_of_date, 'afdeling' AS area_level, afdelingsnummer AS area_id, code, count(*) AS persons
FROM lives_in GROUP BY ALL
UNION ALL
SELECT as_of_date, 'boligomraade', boligomraade, code, count(*) FROM lives_in GROUP BY ALL
UNION ALL
SELECT l.as_of_date, 'helhedsplan', p.plan_id, l.code, count(*)
FROM lives_in AS l JOIN plan_areas AS p USING (boligomraade) GROUP BY ALL
UNION ALL
SELECT s.as_of_date, 'kommune', k.kommunekode, s.code, count(*) FROM status AS s, kommune AS k GROUP BY ALL;

CREATE TEMP TABLE areas AS
SELECT DISTINCT 'afdeling' AS area_level, afdelingsnummer AS area_id FROM register
UNION
SELECT DISTINCT 'boligomraade', boligomraade FROM register
UNION
SELECT DISTINCT 'helhedsplan', plan_id FROM plan_areas
UNION
SELECT 'kommune', kommunekode FROM kommune;

CREATE OR REPLACE TABLE maalgruppe_status AS
SELECT
    d.as_of_date,
    a.area_level,
    a.area_id,
    k.maalgruppe_code,
    k.maalgruppe_name,
    CAST(CASE WHEN coalesce(c.persons, 0) BETWEEN 1 AND {{suppress_max}} THEN NULL
              ELSE coalesce(c.persons, 0) END AS INTEGER) AS persons,
    CAST(coalesce(c.persons, 0) AS INTEGER) AS persons_unsuppressed,
    coalesce(c.persons, 0) BETWEEN 1 AND {{suppress_max}} AS suppressed
FROM month_ends AS d
CROSS JOIN areas AS a
CROSS JOIN koder AS k
LEFT JOIN counts AS c
  ON c.as_of_date = d.as_of_date AND c.area_level = a.area_level
 AND c.area_id = a.area_id AND c.code = k.maalgruppe_code
ORDER BY ALL;
