-- Every month end from the first målgruppe period (at most var('history_years') back)
-- up to the extract date.
with bounds as (
    select
        max(extract_date) as extract_date,
        greatest(min(start_date), max(extract_date) - to_years({{ var('history_years') }})) as first_day
    from {{ ref('stg_momentum__maalgruppe') }}
)
select
    cast(last_day(m) as date) as as_of_date,
    extract_date
from bounds,
    unnest(generate_series(date_trunc('month', first_day), extract_date, interval 1 month)) as t(m)
where last_day(m) <= extract_date
