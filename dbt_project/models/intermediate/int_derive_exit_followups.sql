-- The follow-up of every exit (int_derive_activity_exits) N months after slutdato, for
-- N in var('project_followup_months'):
--   followup_date      slutdato + N months (a month end clamps: 31 Jan + 1 month = 28 Feb);
--   is_due             followup_date on or before the extract date: only then is the exit
--                      counted, in numerator and denominator (docs/indicators.md); for an
--                      exit in the running year, on or before data_through (the running
--                      year's end so far), so its figure changes only with data_through;
--   is_on_support      a målgruppe period (Momentum, or Opera for the history) covers
--                      followup_date; no jobcenter record at all = not on support;
--   is_into_education  a målgruppe spell closed with Afslutningsårsag 'Ordinær uddannelse'
--                      on a day in [slutdato, followup_date].
-- Joins are on person_key plus a range: rosters are small, the period tables are not.
with extract as (
    select max(extract_date) as extract_date from {{ ref('stg_momentum__maalgruppe') }}
),
running_year as (  -- none when the newest year is complete
    select year(period_start) as running_year, period_end as data_through
    from {{ ref('int_generate_periods') }}
    where period_type = 'year' and not period_complete
),
months as (
    select unnest({{ var('project_followup_months') }}) as months_after
),
followups as (
    select
        x.plan_id, x.activity_id, x.exit_year, x.person_key, x.slutdato, m.months_after,
        cast(x.slutdato + to_months(m.months_after) as date) as followup_date
    from {{ ref('int_derive_activity_exits') }} as x
    cross join months as m
),
on_support as (
    select distinct f.plan_id, f.activity_id, f.exit_year, f.person_key, f.months_after, true as hit
    from followups as f
    join {{ ref('int_combine_maalgruppe_periods') }} as p
        on p.person_key = f.person_key
        and p.start_date <= f.followup_date
        and coalesce(p.end_date, date '9999-12-31') >= f.followup_date
),
into_education as (
    select distinct f.plan_id, f.activity_id, f.exit_year, f.person_key, f.months_after, true as hit
    from followups as f
    join {{ ref('int_merge_maalgruppe_spells') }} as s
        on s.person_key = f.person_key
        and s.spell_end >= f.slutdato
        and s.spell_end <= f.followup_date
    where s.afslutningsaarsag = 'Ordinær uddannelse'
)
select
    f.plan_id,
    f.activity_id,
    f.exit_year,
    f.person_key,
    f.slutdato,
    f.months_after,
    f.followup_date,
    f.followup_date <= x.extract_date
        and (r.data_through is null or f.followup_date <= r.data_through) as is_due,
    coalesce(s.hit, false) as is_on_support,
    coalesce(u.hit, false) as is_into_education
from followups as f
cross join extract as x
left join running_year as r on r.running_year = f.exit_year
left join on_support as s using (plan_id, activity_id, exit_year, person_key, months_after)
left join into_education as u using (plan_id, activity_id, exit_year, person_key, months_after)
