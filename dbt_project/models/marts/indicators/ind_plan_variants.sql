-- Plan variants: a plan indicator whose filters select a sub-population that no catalogue
-- variant gives (e.g. Ishøj's "unge under 30 år på 6.1–6.5"): the figure for exactly that
-- population, under the plan's own variant name, for every area and month end.
-- Supported here: maalgruppe_antal and ledige_omfattet at month ends, filtered by
-- målgrupper and age on the day; tilgang and afgang per year, filtered by målgrupper, age on
-- the spell's start (tilgang) or end day (afgang) and Afslutningsårsag (afgang), counted
-- where the person lives that day, as ind_tilgang and ind_afgang do (macro areas_on_day).
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
status as (
    select s.*, {{ age_on('pe.foedselsdato', 's.as_of_date') }} as alder, k.i_ledige_omfattet
    from {{ ref('int_assign_status_areas') }} as s
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    left join {{ ref('int_derive_persons') }} as pe using (person_key)
    where s.counts_in_maalgruppe_antal
),
counts as (
    select w.indicator_id, w.variant, s.as_of_date, s.area_level, s.area_id, count(*) as persons
    from wanted as w
    join status as s
        on (w.indicator_id <> 'ledige_omfattet' or s.i_ledige_omfattet)
        and (w.filter_maalgrupper is null or list_contains(w.filter_maalgrupper, s.maalgruppe_code))
        and (w.filter_max_alder is null or s.alder < w.filter_max_alder)
        and (w.alder_fra is null or s.alder between w.alder_fra and w.alder_til)
    group by all
),
day_rows as (
select
    w.indicator_id,
    w.variant,
    g.area_level,
    g.area_id,
    'day' as period_type,
    g.as_of_date as period_start,
    g.as_of_date as period_end,
    cast(coalesce(c.persons, 0) as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    coalesce(c.persons, 0) as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from wanted as w
cross join ({{ month_end_area_grid() }}) as g
left join counts as c using (indicator_id, variant, as_of_date, area_level, area_id)
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
years as (
    select min(period_start) as first_day, max(period_end) as last_day
    from {{ ref('int_generate_periods') }}
    where period_type = 'year'
),
spell_events as (
    select s.person_key, s.maalgruppe_code, 'tilgang' as indicator_id, s.spell_start as event_day,
           cast(null as varchar) as afslutningsaarsag
    from {{ ref('int_merge_maalgruppe_spells') }} as s
    union all
    select s.person_key, s.maalgruppe_code, 'afgang', s.spell_end, coalesce(s.afslutningsaarsag, 'Andet')
    from {{ ref('int_merge_maalgruppe_spells') }} as s
    where s.spell_end is not null
),
events as (
    select e.*, {{ age_on('pe.foedselsdato', 'e.event_day') }} as alder
    from spell_events as e
    cross join years as y
    left join {{ ref('int_derive_persons') }} as pe using (person_key)
    where e.event_day between y.first_day and y.last_day
      and e.indicator_id in (select indicator_id from wanted_flows)
),
located as (
    {{ areas_on_day('events', 'event_day') }}
),
flow_counts as (
    select w.indicator_id, w.variant, cast(date_trunc('year', l.event_day) as date) as period_start,
           l.area_level, l.area_id, count(*) as spells, count(distinct l.person_key) as persons
    from wanted_flows as w
    join located as l
        on l.indicator_id = w.indicator_id
        and (w.filter_maalgrupper is null or list_contains(w.filter_maalgrupper, l.maalgruppe_code))
        and (w.filter_max_alder is null or l.alder < w.filter_max_alder)
        and (w.alder_fra is null or l.alder between w.alder_fra and w.alder_til)
        and (w.filter_afslutningsaarsag is null or l.afslutningsaarsag = w.filter_afslutningsaarsag)
    group by all
),
year_rows as (
select
    w.indicator_id,
    w.variant,
    g.area_level,
    g.area_id,
    g.period_type,
    g.period_start,
    g.period_end,
    cast(coalesce(c.spells, 0) as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    coalesce(c.persons, 0) as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from wanted_flows as w
cross join ({{ period_area_grid(['year']) }}) as g
left join flow_counts as c
    on c.indicator_id = w.indicator_id and c.variant = w.variant and c.period_start = g.period_start
    and c.area_level = g.area_level and c.area_id = g.area_id
)
select * from day_rows
union all
select * from year_rows
