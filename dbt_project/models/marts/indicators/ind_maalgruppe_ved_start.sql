-- maalgruppe_ved_start: participants who started the activity in the year, per målgruppe
-- on their startdato (a målgruppe period of Momentum or Opera covering it; 'ingen' when
-- none). A person who started more than once in a year counts once, at their latest
-- startdato that year. Variant '<activity>|<code>' is a part of the total '<activity>'
-- (everyone who started): disclosure control treats the total as the sum of its parts.
with starts as (
    select plan_id, activity_id, cast(year(startdato) as integer) as start_year, person_key,
           max(startdato) as startdato
    from {{ ref('int_assign_activity_enrolments') }}
    group by all
),
at_start as (
    select s.plan_id, s.activity_id, s.start_year, s.person_key,
           coalesce(p.maalgruppe_code, 'ingen') as code
    from starts as s
    left join {{ ref('int_combine_maalgruppe_periods') }} as p
        on p.person_key = s.person_key
        and p.start_date <= s.startdato
        and coalesce(p.end_date, date '9999-12-31') >= s.startdato
),
codes as (
    select maalgruppe_code as code from {{ ref('maalgruppe_koder') }}
    union all
    select 'ingen'
),
grid as (
    {{ activity_period_grid(['year']) }}
),
by_code as (
    select plan_id, activity_id, start_year, code, count(*) as persons from at_start group by all
),
started as (
    select plan_id, activity_id, start_year, count(*) as persons from at_start group by all
),
rows as (
    select g.activity_id || '|' || c.code as variant, g.plan_id, g.period_start, g.period_end,
           coalesce(b.persons, 0) as persons
    from grid as g
    cross join codes as c
    left join by_code as b
        on b.plan_id = g.plan_id and b.activity_id = g.activity_id
        and b.start_year = year(g.period_start) and b.code = c.code
    union all
    select g.activity_id, g.plan_id, g.period_start, g.period_end, coalesce(s.persons, 0)
    from grid as g
    left join started as s
        on s.plan_id = g.plan_id and s.activity_id = g.activity_id and s.start_year = year(g.period_start)
)
select
    'maalgruppe_ved_start' as indicator_id,
    variant,
    'helhedsplan' as area_level,
    plan_id as area_id,
    'year' as period_type,
    period_start,
    period_end,
    cast(persons as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    persons as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from rows
