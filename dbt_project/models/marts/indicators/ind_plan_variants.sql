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
-- Counted per person's place of residence first (int_assign_maalgruppe_status: one row per
-- person and month end), then summed to every area the place belongs to (the areas of
-- int_assign_status_areas): rows per place, not per person, are expanded to areas.
status as (
    select s.as_of_date, s.maalgruppe_code, s.afdelingsnummer, s.boligomraade,
           {{ age_on('pe.foedselsdato', 's.as_of_date') }} as alder, k.i_ledige_omfattet
    from {{ ref('int_assign_maalgruppe_status') }} as s
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    left join {{ ref('int_derive_persons') }} as pe using (person_key)
    where s.counts_in_maalgruppe_antal
),
place_counts as (
    select w.indicator_id, w.variant, s.as_of_date, s.afdelingsnummer, s.boligomraade, count(*) as persons
    from wanted as w
    join status as s
        on (w.indicator_id <> 'ledige_omfattet' or s.i_ledige_omfattet)
        and (w.filter_maalgrupper is null or list_contains(w.filter_maalgrupper, s.maalgruppe_code))
        and (w.filter_max_alder is null or s.alder < w.filter_max_alder)
        and (w.alder_fra is null or s.alder between w.alder_fra and w.alder_til)
    group by all
),
area_grid as (
    select area_level, area_id, boligomraade
    from {{ ref('int_derive_area_grid') }}
    where area_level in ('helhedsplan', 'kommune')
),
counts as (
    select indicator_id, variant, as_of_date, area_level, area_id, cast(sum(persons) as bigint) as persons
    from (
        select indicator_id, variant, as_of_date, 'afdeling' as area_level, afdelingsnummer as area_id, persons
        from place_counts where afdelingsnummer is not null
        union all
        select indicator_id, variant, as_of_date, 'boligomraade', boligomraade, persons
        from place_counts where boligomraade is not null
        union all
        select c.indicator_id, c.variant, c.as_of_date, 'helhedsplan', g.area_id, c.persons
        from place_counts as c join area_grid as g on g.area_level = 'helhedsplan' and g.boligomraade = c.boligomraade
        union all
        select c.indicator_id, c.variant, c.as_of_date, 'kommune', g.area_id, c.persons
        from place_counts as c join area_grid as g on g.area_level = 'kommune'
    )
    group by all
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
