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
{{ indicator_rows('deltagere', 'activity_periods', 'counts', period_types=['month', 'quarter', 'year'],
                  count=('persons', 'persons')) }}
