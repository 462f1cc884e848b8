-- Every computed indicator in one shape, unsuppressed (internal): one row per indicator,
-- variant, area and period. New indicators are added to the list below.
{% set indicator_models = [
    'ind_maalgruppe_antal',
    'ind_ledige_omfattet',
    'ind_aktiveringsgrad',
    'ind_fuldtidspersoner',
    'ind_sygedagpenge_lange_forloeb',
    'ind_andel_offentligt_forsoergede',
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
    r.*,
    c.unit,
    c.source,
    e.extract_date
from results as r
join {{ ref('indicators') }} as c using (indicator_id)
cross join extract as e
