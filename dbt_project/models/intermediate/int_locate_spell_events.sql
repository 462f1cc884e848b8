-- The flows of målgruppe spells (forløb, int_merge_maalgruppe_spells) in complete years:
-- a spell's start ('tilgang') and its end ('afgang'; an open spell has not ended), each
-- in every area the person counts in on that day (macro areas_on_day: where the person
-- lives, and the kommune always). Read by ind_tilgang, ind_afgang and ind_plan_variants,
-- so the three count the same events. afslutningsaarsag is the reason of the spell's last
-- period for an end ('Andet' when none was given; ind_afgang.yml), null for a start.
-- alder: the person's age on the day (plan variants filter on it).
with years as (
    select min(period_start) as first_day, max(period_end) as last_day
    from {{ ref('int_generate_periods') }}
    where period_type = 'year'
),
spell_events as (
    select s.person_key, s.maalgruppe_code, 'tilgang' as flow, s.spell_start as event_day,
           cast(null as varchar) as afslutningsaarsag
    from {{ ref('int_merge_maalgruppe_spells') }} as s
    union all
    select s.person_key, s.maalgruppe_code, 'afgang', s.spell_end, coalesce(s.afslutningsaarsag, 'Andet')
    from {{ ref('int_merge_maalgruppe_spells') }} as s
    where s.spell_end is not null
),
events as (
    select
        e.*,
        cast(date_trunc('year', e.event_day) as date) as period_start,
        {{ age_on('pe.foedselsdato', 'e.event_day') }} as alder
    from spell_events as e
    cross join years as y
    left join {{ ref('int_derive_persons') }} as pe using (person_key)
    where e.event_day between y.first_day and y.last_day
),
located as (
    {{ areas_on_day('events', 'event_day') }}
)
select * from located
