-- Every month end from the first målgruppe period (Momentum or Opera) (at most var('history_years') back)
-- up to the extract date.
with bounds as (
    select
        (select max(extract_date) from {{ ref('stg_momentum__maalgruppe') }}) as extract_date,
        (select min(start_date) from {{ ref('int_combine_maalgruppe_periods') }}) as first_start
),
bounded as (
    select extract_date, greatest(first_start, extract_date - to_years({{ var('history_years') }})) as first_day
    from bounds
)
select
    cast(last_day(m) as date) as as_of_date,
    extract_date
from bounded,
    unnest(generate_series(date_trunc('month', first_day), extract_date, interval 1 month)) as t(m)
where last_day(m) <= extract_date
