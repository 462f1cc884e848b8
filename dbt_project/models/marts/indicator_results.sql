-- Every computed indicator in one shape, unsuppressed (internal): one row per indicator,
-- variant, area and period. New indicators are added to the list below. The unit is the
-- catalogue's (seed indicators), unless seed indicator_period_units gives one for the
-- period type (langtidsledige per year: helårspersoner, i.e. fuldtidspersoner).
-- A period still running (int_generate_periods) was computed over period_start …
-- data_through: here its period_end becomes the calendar period's end again (the key a
-- running row shares with the complete row of a later publication), period_complete is
-- false and data_through says how far it goes. Every other row: complete, data_through =
-- period_end.
{% set indicator_models = [
    'ind_maalgruppe_antal',
    'ind_ledige_omfattet',
    'ind_aktiveringsgrad',
    'ind_fuldtidspersoner',
    'ind_sygedagpenge_lange_forloeb',
    'ind_andel_offentligt_forsoergede',
    'ind_deltagere',
    'ind_afslutningsstatus',
    'ind_selvforsoergende_efter',
    'ind_i_uddannelse_efter',
    'ind_maalgruppe_ved_start',
    'ind_langtidsledige',
    'ind_plan_variants',
    'ind_tilgang',
    'ind_afgang',
    'ind_andel_i_aktivering_ved_start',
    'ind_rettidighed_samtaler',
] %}
with results as (
    {% for m in indicator_models %}
    select * from {{ ref(m) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
extract as (
    select max(extract_date) as extract_date from {{ ref('stg_momentum__maalgruppe') }}
)
select
    r.* replace (coalesce(p.calendar_end, r.period_end) as period_end),
    coalesce(u.unit, c.unit) as unit,
    c.source,
    e.extract_date,
    p.calendar_end is null as period_complete,
    r.period_end as data_through
from results as r
join {{ ref('indicators') }} as c using (indicator_id)
left join {{ ref('indicator_period_units') }} as u using (indicator_id, period_type)
left join {{ ref('int_generate_periods') }} as p
    on not p.period_complete and p.period_type = r.period_type
    and p.period_start = r.period_start and p.period_end = r.period_end
cross join extract as e
