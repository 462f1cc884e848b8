-- Person status at each month end, once per area level the person counts in that day:
-- afdeling and boligområde where the person lives, each plan covering that boligområde,
-- and the kommune (everyone in the extract). Indicators group this; they do not repeat it.
-- A view, kept as the statement of the rule: since issue 13 the month-end indicators count
-- from int_derive_status_intervals (running sums; ind_plan_variants too); writing its tens of millions of rows at
-- 1 000 000 persons cost ~20 s.
{{ config(materialized='view') }}
with status as (
    select * from {{ ref('int_assign_maalgruppe_status') }}
),
grid as (
    select * from {{ ref('int_derive_area_grid') }}
)
select s.as_of_date, s.person_key, s.maalgruppe_code, s.spell_days, s.counts_in_maalgruppe_antal,
       'afdeling' as area_level, s.afdelingsnummer as area_id
from status as s where s.afdelingsnummer is not null
union all
select s.as_of_date, s.person_key, s.maalgruppe_code, s.spell_days, s.counts_in_maalgruppe_antal,
       'boligomraade', s.boligomraade
from status as s where s.boligomraade is not null
union all
select s.as_of_date, s.person_key, s.maalgruppe_code, s.spell_days, s.counts_in_maalgruppe_antal,
       'helhedsplan', g.plan_id
from status as s join grid as g on g.area_level = 'helhedsplan' and g.boligomraade = s.boligomraade
union all
select s.as_of_date, s.person_key, s.maalgruppe_code, s.spell_days, s.counts_in_maalgruppe_antal,
       'kommune', g.area_id
from status as s join grid as g on g.area_level = 'kommune'
