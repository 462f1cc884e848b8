-- afslutningsstatus: of the persons who ended the activity in the year (slutdato, one row
-- per person: their latest exit that year), the percentage per Status ved afslutning
-- (seed afslutningsstatus). Variant '<activity>|<status>' is a part of the total
-- '<activity>' (100 % of those who ended): disclosure control treats the total as the
-- sum of its parts. An exit with no status written in the roster is the part 'uoplyst',
-- so the parts add up to everyone who ended.
with exits as (
    select plan_id, activity_id, exit_year, person_key,
           coalesce(status_ved_afslutning, 'uoplyst') as status
    from {{ ref('int_derive_activity_exits') }}
),
statuses as (
    select status_ved_afslutning as status from {{ ref('afslutningsstatus') }}
    union all
    select 'uoplyst'
),
grid as (
    {{ activity_period_grid(['year']) }}
),
ended as (
    select plan_id, activity_id, exit_year, count(*) as persons from exits group by all
),
by_status as (
    select plan_id, activity_id, exit_year, status, count(*) as persons from exits group by all
),
parts as (
    select
        g.activity_id || '|' || s.status as variant,
        g.plan_id, g.period_start, g.period_end,
        coalesce(b.persons, 0) as persons_numerator,
        coalesce(e.persons, 0) as persons_denominator
    from grid as g
    cross join statuses as s
    left join ended as e
        on e.plan_id = g.plan_id and e.activity_id = g.activity_id and e.exit_year = year(g.period_start)
    left join by_status as b
        on b.plan_id = g.plan_id and b.activity_id = g.activity_id and b.exit_year = year(g.period_start)
        and b.status = s.status
),
totals as (
    select
        g.activity_id as variant,
        g.plan_id, g.period_start, g.period_end,
        coalesce(e.persons, 0) as persons_numerator,
        coalesce(e.persons, 0) as persons_denominator
    from grid as g
    left join ended as e
        on e.plan_id = g.plan_id and e.activity_id = g.activity_id and e.exit_year = year(g.period_start)
)
select
    'afslutningsstatus' as indicator_id,
    variant,
    'helhedsplan' as area_level,
    plan_id as area_id,
    'year' as period_type,
    period_start,
    period_end,
    100.0 * persons_numerator / nullif(persons_denominator, 0) as value,
    cast(persons_numerator as double) as numerator,
    cast(persons_denominator as double) as denominator,
    persons_numerator,
    persons_denominator,
    false as source_suppressed
from (select * from parts union all select * from totals)
