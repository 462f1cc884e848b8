-- Every complete calendar month, quarter and year from the first målgruppe period (at most
-- var('history_years') back) up to the extract date. Period indicators (fuldtidspersoner,
-- flows, rettidighed, …) are computed for these; a period still running on the extract
-- date is left out, so a published month or year never changes meaning as days arrive.
with bounds as (
    select first_day, extract_date
    from (
        select min(as_of_date) as first_month_end, max(extract_date) as extract_date
        from {{ ref('int_generate_month_ends') }}
    ), lateral (select cast(date_trunc('month', first_month_end) as date) as first_day)
),
kinds as (
    select 'month' as period_type, interval 1 month as step, 'month' as unit
    union all select 'quarter', interval 3 month, 'quarter'
    union all select 'year', interval 1 year, 'year'
),
starts as (
    select k.period_type, k.step, b.extract_date,
           cast(s as date) as period_start
    from bounds as b
    cross join kinds as k,
        unnest(generate_series(date_trunc(k.unit, b.first_day), b.extract_date, k.step)) as t(s)
)
select
    period_type,
    period_start,
    cast(period_start + step - interval 1 day as date) as period_end,
    datediff('day', period_start, cast(period_start + step as date)) as period_days
from starts
where cast(period_start + step - interval 1 day as date) <= extract_date
