-- Plan variants: a plan indicator whose filters select a sub-population that no catalogue
-- variant gives (e.g. Ishøj's "unge under 30 år på 6.1–6.5"): the figure for exactly that
-- population, under the plan's own variant name, for every area and month end.
-- Supported here: maalgruppe_antal and ledige_omfattet at month ends, filtered by
-- målgrupper and age on the day; tilgang and afgang per year, filtered by målgrupper, age on
-- the spell's start (tilgang) or end day (afgang) and Afslutningsårsag (afgang), counted
-- where the person lives that day: the events ind_tilgang and ind_afgang count
-- (int_locate_spell_events).
-- max_alder: ages below it; aldersgruppe: seed aldersgrupper.
{% set status_indicators = ['maalgruppe_antal', 'ledige_omfattet'] %}
with wanted as (
    select distinct
        p.indicator_id,
        p.variant,
        p.filter_maalgrupper,
        p.filter_max_alder,
        g.alder_fra,
        g.alder_til
    from {{ ref('stg_plans__plan_indicators') }} as p
    left join {{ ref('aldersgrupper') }} as g on g.aldersgruppe = p.filter_aldersgruppe
    where p.indicator_id in ({% for i in status_indicators %}'{{ i }}'{% if not loop.last %}, {% endif %}{% endfor %})
      and (p.filter_maalgrupper is not null or p.filter_max_alder is not null or p.filter_aldersgruppe is not null)
      and p.period_type = 'day'
),
-- Counted from the spells' intervals per area (int_derive_status_intervals: the areas of
-- int_assign_status_areas) with running sums over the month ends (macro month_end_counts),
-- not from rows per person and month end: each interval is cut to the days on which the
-- variant's filters hold. 6.1 counts from the spell's 182nd day (as maalgruppe_antal); an
-- age filter holds from one birthday to another (macro birthday: alder < N exactly before
-- the Nth birthday), and never for a person without a birth date.
status_intervals as (
    select i.area_level, i.area_id, i.maalgruppe_code, k.i_ledige_omfattet, pe.foedselsdato,
           case when i.maalgruppe_code = '6.1'
                then greatest(i.from_date, i.spell_start + ({{ var('maalgruppe_6_1_min_days') }} - 1))
                else i.from_date end as from_date,
           coalesce(i.to_date, date '9999-12-31') as to_date
    from {{ ref('int_derive_status_intervals') }} as i
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    left join {{ ref('int_derive_persons') }} as pe using (person_key)
),
variant_intervals as (
    select
        w.indicator_id, w.variant, s.area_level, s.area_id,
        greatest(s.from_date,
                 case when w.alder_fra is not null then {{ birthday('s.foedselsdato', 'w.alder_fra') }} end) as count_from,
        nullif(least(s.to_date,
                     case when w.filter_max_alder is not null then {{ birthday('s.foedselsdato', 'w.filter_max_alder') }} - 1 end,
                     case when w.alder_fra is not null then {{ birthday('s.foedselsdato', 'w.alder_til + 1') }} - 1 end),
               date '9999-12-31') as count_to
    from wanted as w
    join status_intervals as s
        on (w.indicator_id <> 'ledige_omfattet' or s.i_ledige_omfattet)
        and (w.filter_maalgrupper is null or list_contains(w.filter_maalgrupper, s.maalgruppe_code))
        and (s.foedselsdato is not null or (w.filter_max_alder is null and w.alder_fra is null))
        and (w.alder_fra is null or w.alder_til is not null)  -- alder between fra and null holds for no one
),
counts as (
    {{ month_end_counts('variant_intervals', ['indicator_id', 'variant']) }}
),
wanted_flows as (
    select distinct
        p.indicator_id,
        p.variant,
        p.filter_maalgrupper,
        p.filter_max_alder,
        p.filter_afslutningsaarsag,
        g.alder_fra,
        g.alder_til
    from {{ ref('stg_plans__plan_indicators') }} as p
    left join {{ ref('aldersgrupper') }} as g on g.aldersgruppe = p.filter_aldersgruppe
    where p.indicator_id in ('tilgang', 'afgang')
      and (p.filter_maalgrupper is not null or p.filter_max_alder is not null
           or p.filter_aldersgruppe is not null or p.filter_afslutningsaarsag is not null)
      and p.period_type = 'year'
),
flow_counts as (
    select w.indicator_id, w.variant, l.period_start,
           l.area_level, l.area_id, count(*) as spells, count(distinct l.person_key) as persons
    from wanted_flows as w
    join {{ ref('int_locate_spell_events') }} as l
        on l.flow = w.indicator_id
        and (w.filter_maalgrupper is null or list_contains(w.filter_maalgrupper, l.maalgruppe_code))
        and (w.filter_max_alder is null or l.alder < w.filter_max_alder)
        and (w.alder_fra is null or l.alder between w.alder_fra and w.alder_til)
        and (w.filter_afslutningsaarsag is null or l.afslutningsaarsag = w.filter_afslutningsaarsag)
    group by all
)
{{ indicator_rows(none, 'month_ends', 'counts', variants='wanted', variant_keys=['indicator_id', 'variant'],
                  count=('persons', 'persons')) }}
union all
{{ indicator_rows(none, 'periods', 'flow_counts', variants='wanted_flows', variant_keys=['indicator_id', 'variant'],
                  count=('spells', 'persons')) }}
