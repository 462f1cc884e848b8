-- Person-level status at every month end: the spell covering the day, how long it has
-- lasted, and where the person lives that day. A person has at most one row per day
-- (periods do not overlap), which the marts rely on.
-- A view, kept as the statement of the rule (and read by tests): since issue 13 no model
-- reads it; the month-end indicators count from int_derive_status_intervals with running
-- sums (ind_plan_variants too). As a table it was tens of millions of rows at 1 000 000
-- persons, written every night.
{{ config(materialized='view') }}
with status as (
    select
        d.as_of_date,
        s.person_key,
        s.maalgruppe_code,
        s.spell_start,
        datediff('day', s.spell_start, d.as_of_date) + 1 as spell_days
    from {{ ref('int_generate_month_ends') }} as d
    join {{ ref('int_merge_maalgruppe_spells') }} as s
        on d.as_of_date between s.spell_start and coalesce(s.spell_end, date '9999-12-31')
)
select
    status.*,
    r.afdelingsnummer,
    r.boligomraade,
    -- docs/indicators.md: 6.1 counts only once its spell has lasted 26 weeks.
    (status.maalgruppe_code <> '6.1'
        or status.spell_days >= {{ var('maalgruppe_6_1_min_days') }}) as counts_in_maalgruppe_antal
from status
left join {{ ref('int_derive_residence_periods') }} as r
    on r.person_key = status.person_key
    and status.as_of_date between r.bor_fra and coalesce(r.bor_til, date '9999-12-31')
