-- deltagere: distinct persons enrolled in the activity on at least one day of the period
-- (startdato <= period_end and slutdato null or >= period_start), per complete month,
-- quarter and year. Read at the helhedsplan of the plan listing the activity, wherever the
-- participants live; variant = the activity id.
with enrolments as (
    select * from {{ ref('int_assign_activity_enrolments') }}
),
periods as (
    select period_type, period_start, period_end from {{ ref('int_generate_periods') }}
),
counts as (
    select e.plan_id, e.activity_id, p.period_type, p.period_start, count(distinct e.person_key) as persons
    from enrolments as e
    join periods as p
        on e.startdato <= p.period_end
        and coalesce(e.slutdato, date '9999-12-31') >= p.period_start
    group by all
)
select
    'deltagere' as indicator_id,
    g.activity_id as variant,
    'helhedsplan' as area_level,
    g.plan_id as area_id,
    g.period_type,
    g.period_start,
    g.period_end,
    cast(coalesce(c.persons, 0) as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    coalesce(c.persons, 0) as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from ({{ activity_period_grid(['month', 'quarter', 'year']) }}) as g
left join counts as c using (plan_id, activity_id, period_type, period_start)
