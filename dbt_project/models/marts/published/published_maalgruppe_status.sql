{{ config(alias='maalgruppe_status') }}
-- published.maalgruppe_status (docs/published.md): maalgruppe_antal after disclosure control
-- (primary and secondary, decided once in indicator_results_disclosed).
select
    r.period_end as as_of_date,
    r.area_level,
    r.area_id,
    r.variant as maalgruppe_code,
    k.maalgruppe_name,
    cast(case when r.suppressed then null else r.value end as integer) as persons,
    r.suppressed
from {{ ref('indicator_results_disclosed') }} as r
join {{ ref('maalgruppe_koder') }} as k on k.maalgruppe_code = r.variant
where r.indicator_id = 'maalgruppe_antal'
