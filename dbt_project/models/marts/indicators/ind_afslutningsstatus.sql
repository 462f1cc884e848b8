-- afslutningsstatus: of the persons who ended the activity in the year (slutdato, one row
-- per person: their latest exit that year), the percentage per Status ved afslutning
-- (seed afslutningsstatus). Variant '<activity>|<status>' is a part of the total
-- '<activity>' (100 % of those who ended): disclosure control treats the total as the
-- sum of its parts. An exit with no status written in the roster is the part 'uoplyst',
-- so the parts add up to everyone who ended.
with exits as (
    select plan_id, activity_id, make_date(exit_year, 1, 1) as period_start, person_key,
           coalesce(status_ved_afslutning, 'uoplyst') as status
    from {{ ref('int_derive_activity_exits') }}
),
statuses as (
    select status_ved_afslutning as status from {{ ref('afslutningsstatus') }}
    union all
    select 'uoplyst'
),
ended as (
    select plan_id, activity_id, period_start, count(*) as persons from exits group by all
),
by_status as (
    select plan_id, activity_id, period_start, status, count(*) as persons from exits group by all
),
parts as (  -- every status of every year someone ended: a status nobody ended with is 0 %
    select e.plan_id, e.activity_id, e.period_start, s.status,
           coalesce(b.persons, 0) as persons, e.persons as persons_ended
    from ended as e
    cross join statuses as s
    left join by_status as b using (plan_id, activity_id, period_start, status)
)
{{ indicator_rows('afslutningsstatus', 'activity_periods', 'parts', keys=['plan_id', 'activity_id', 'period_start'],
                  variants='statuses', variant_keys=['status'], variant="g.activity_id || '|' || v.status",
                  share=('persons', 'persons_ended', 'persons', 'persons_ended')) }}
union all
{{ indicator_rows('afslutningsstatus', 'activity_periods', 'ended', keys=['plan_id', 'activity_id', 'period_start'],
                  share=('persons', 'persons', 'persons', 'persons')) }}
