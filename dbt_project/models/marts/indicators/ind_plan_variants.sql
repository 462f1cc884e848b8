-- Plan variants: a plan indicator whose filters select a sub-population that no catalogue
-- variant gives (e.g. Ishøj's "unge under 30 år på 6.1–6.5"): the figure for exactly that
-- population, under the plan's own variant name, for every area and month end.
-- Supported here: maalgruppe_antal and ledige_omfattet filtered by målgrupper and age
-- (max_alder: ages below it on the day; aldersgruppe: seed aldersgrupper).
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
)
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
