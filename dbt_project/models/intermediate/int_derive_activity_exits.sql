-- Who ended a plan activity, per calendar year of slutdato: one row per plan, activity,
-- year and person. A slutdato after the extract date is a planned end, not an exit yet.
-- A person who ended the activity more than once in a year counts once, with the latest
-- exit of that year (latest slutdato, then latest startdato): its status and follow-up.
with extract as (
    select max(extract_date) as extract_date from {{ ref('stg_momentum__maalgruppe') }}
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
where e.slutdato is not null and e.slutdato <= x.extract_date
qualify row_number() over (
    partition by e.plan_id, e.activity_id, year(e.slutdato), e.person_key
    order by e.slutdato desc, e.startdato desc
) = 1
