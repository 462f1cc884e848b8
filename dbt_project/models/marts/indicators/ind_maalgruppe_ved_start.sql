-- maalgruppe_ved_start: participants who started the activity in the year, per målgruppe
-- on their startdato (a målgruppe period of Momentum or Opera covering it; 'ingen' when
-- none). A person who started more than once in a year counts once, at their latest
-- startdato that year. Variant '<activity>|<code>' is a part of the total '<activity>'
-- (everyone who started): disclosure control treats the total as the sum of its parts.
with starts as (  -- a start after data_through (the newest period's end) counts in no period yet
    select plan_id, activity_id, cast(year(startdato) as integer) as start_year, person_key,
           max(startdato) as startdato
    from {{ ref('int_assign_activity_enrolments') }}
    where startdato <= (select max(period_end) from {{ ref('int_generate_periods') }})
    group by all
),
at_start as (
    select s.plan_id, s.activity_id, make_date(s.start_year, 1, 1) as period_start, s.person_key,
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
by_code as (
    select plan_id, activity_id, period_start, code, count(*) as persons from at_start group by all
),
started as (
    select plan_id, activity_id, period_start, count(*) as persons from at_start group by all
)
{{ indicator_rows('maalgruppe_ved_start', 'activity_periods', 'by_code', keys=['plan_id', 'activity_id', 'period_start'],
                  variants='codes', variant_keys=['code'], variant="g.activity_id || '|' || v.code",
                  count=('persons', 'persons')) }}
union all
{{ indicator_rows('maalgruppe_ved_start', 'activity_periods', 'started', keys=['plan_id', 'activity_id', 'period_start'],
                  count=('persons', 'persons')) }}
