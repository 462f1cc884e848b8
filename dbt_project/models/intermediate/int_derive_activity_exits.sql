-- Who ended a plan activity, per calendar year of slutdato: one row per plan, activity,
-- year and person. A slutdato after the extract date is a planned end, not an exit yet;
-- one after data_through (the end of the newest period, int_generate_periods) counts in no
-- published period yet (a running year is counted up to data_through).
-- A person who ended the activity more than once in a year counts once, with the latest
-- exit of that year (latest slutdato, then latest startdato): its status and follow-up.
with extract as (
    select max(extract_date) as extract_date from {{ ref('stg_momentum__maalgruppe') }}
),
through as (
    select max(period_end) as data_through from {{ ref('int_generate_periods') }}
)
select
    e.plan_id,
    e.activity_id,
    cast(year(e.slutdato) as integer) as exit_year,
    e.person_key,
    e.startdato,
    e.slutdato,
    e.status_ved_afslutning
from {{ ref('int_assign_activity_enrolments') }} as e
cross join extract as x
cross join through as t
where e.slutdato is not null and e.slutdato <= x.extract_date and e.slutdato <= t.data_through
qualify row_number() over (
    partition by e.plan_id, e.activity_id, year(e.slutdato), e.person_key
    order by e.slutdato desc, e.startdato desc
) = 1
