-- Every calendar month, quarter and year from the first målgruppe period (at most
-- var('history_years') back) up to the extract date: the periods of the period indicators
-- (fuldtidspersoner, flows, rettidighed, project activities, …).
--
-- A complete period (period_complete) ends on or before data_through; its period_end is its
-- calendar end. A period still running on data_through is computed "so far": its
-- period_end is data_through (the window every indicator model computes over), its
-- period_days the days elapsed (period_start … data_through), calendar_end its calendar end
-- (the published key: indicator_results puts it back into period_end).
--
-- data_through (docs/published.md, "Running periods"): by var('running_periods_through')
--   'month_end'    the last month end on or before the extract date (the default: a running
--                  figure then changes at most once a month, so two nights' publications cannot
--                  be subtracted to find one person);
--   'extract_date' the extract date itself (not for a nightly publication).
-- Complete periods are the same under both: a calendar period ends on a month end.
with bounds as (
    select
        first_day,
        extract_date,
        {% if var('running_periods_through') == 'extract_date' -%}
        extract_date as data_through
        {%- elif var('running_periods_through') == 'month_end' -%}
        cast(date_trunc('month', extract_date + interval 1 day) - interval 1 day as date) as data_through
        {%- else -%}
        {{ exceptions.raise_compiler_error("var running_periods_through must be 'month_end' or 'extract_date'") }}
        {%- endif %}
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
    select k.period_type, b.data_through,
           cast(s as date) as period_start,
           cast(s + k.step - interval 1 day as date) as calendar_end
    from bounds as b
    cross join kinds as k,
        unnest(generate_series(date_trunc(k.unit, b.first_day), b.data_through, k.step)) as t(s)
)
select
    period_type,
    period_start,
    least(calendar_end, data_through) as period_end,
    datediff('day', period_start, least(calendar_end, data_through)) + 1 as period_days,
    calendar_end,
    calendar_end <= data_through as period_complete
from starts
