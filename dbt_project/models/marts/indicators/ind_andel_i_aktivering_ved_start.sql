-- andel_i_aktivering_ved_start: of the new spells of 6.2–6.5 (seed maalgruppe_koder
-- .i_aktivering_ved_start) starting in a complete year, the percentage with an activation
-- tilbud (er_aktivering) starting within 13 weeks of the spell's start: tilbud start −
-- spell start between 0 and var('aktivering_ved_start_days') − 1 days. Variant '' for the
-- four målgrupper together, one per målgruppe code. Counted in the area where the person
-- lives on the spell's start day (the kommune always). A spell whose window has not
-- wholly passed by the extract date is not yet due: left out of both counts; in the running
-- year, by data_through (the year's end so far), so its figure changes only with data_through.
{% set window_days = var('aktivering_ved_start_days') %}
with extract as (
    select max(extract_date) as extract_date from {{ ref('stg_momentum__maalgruppe') }}
),
years as (
    select min(period_start) as first_day, max(period_end) as last_day,
           max(period_end) filter (where not period_complete) as running_through
    from {{ ref('int_generate_periods') }}
    where period_type = 'year'
),
due as (
    select
        s.person_key,
        s.maalgruppe_code,
        s.spell_start,
        cast(date_trunc('year', s.spell_start) as date) as period_start
    from {{ ref('int_merge_maalgruppe_spells') }} as s
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    cross join years as y
    cross join extract as e
    where k.i_aktivering_ved_start
        and s.spell_start between y.first_day and y.last_day
        and s.spell_start + {{ window_days - 1 }} <= e.extract_date
        and (y.running_through is null or s.spell_start < date_trunc('year', y.running_through)
             or s.spell_start + {{ window_days - 1 }} <= y.running_through)
),
activated as (  -- spells with at least one activation tilbud starting in the window
    select distinct d.person_key, d.spell_start
    from due as d
    join {{ ref('int_combine_tilbud_periods') }} as t
        on t.person_key = d.person_key
        and t.start_date between d.spell_start and d.spell_start + {{ window_days - 1 }}
    where t.er_aktivering
),
spells as (
    select d.*, a.person_key is not null as is_activated
    from due as d
    left join activated as a using (person_key, spell_start)
),
located as (
    {{ areas_on_day('spells', 'spell_start') }}
),
-- Per person first (per målgruppe, then over the four), so each person counts once without
-- a count(distinct) per grouping set.
person_codes as (
    select period_start, area_level, area_id, maalgruppe_code, person_key,
           count(*) filter (where is_activated) as spells_activated,
           count(*) as spells
    from located
    group by all
),
person_totals as (
    select period_start, area_level, area_id, person_key,
           cast(sum(spells_activated) as bigint) as spells_activated,
           cast(sum(spells) as bigint) as spells
    from person_codes
    group by all
),
counts as (
    select
        period_start, area_level, area_id, '' as variant,
        cast(sum(spells_activated) as bigint) as spells_activated,
        cast(sum(spells) as bigint) as spells,
        count(*) filter (where spells_activated > 0) as persons_activated,
        count(*) as persons
    from person_totals
    group by all
    union all
    select
        period_start, area_level, area_id, maalgruppe_code,
        cast(sum(spells_activated) as bigint),
        cast(sum(spells) as bigint),
        count(*) filter (where spells_activated > 0),
        count(*)
    from person_codes
    group by all
),
variants as (
    select '' as variant
    union all
    select maalgruppe_code from {{ ref('maalgruppe_koder') }} where i_aktivering_ved_start
)
{{ indicator_rows('andel_i_aktivering_ved_start', 'periods', 'counts', variants='variants',
                  share=('spells_activated', 'spells', 'persons_activated', 'persons')) }}
