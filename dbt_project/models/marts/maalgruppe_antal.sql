-- Indicator maalgruppe_antal (indicators.md), unsuppressed: persons living in the area
-- on each month end with a målgruppe period covering it (6.1 only after 26 weeks).
-- Every (month end, area, målgruppe) appears, zeros included.
with counts as (
    select as_of_date, area_level, area_id, maalgruppe_code, count(*) as persons
    from {{ ref('int_assign_status_areas') }}
    where counts_in_maalgruppe_antal
    group by all
),
areas as (
    select distinct area_level, area_id from {{ ref('int_derive_area_grid') }}
)
select
    d.as_of_date,
    a.area_level,
    a.area_id,
    k.maalgruppe_code,
    k.maalgruppe_name,
    k.sort_order,
    coalesce(c.persons, 0) as persons
from {{ ref('int_generate_month_ends') }} as d
cross join areas as a
cross join {{ ref('maalgruppe_koder') }} as k
left join counts as c
    on c.as_of_date = d.as_of_date
    and c.area_level = a.area_level
    and c.area_id = a.area_id
    and c.maalgruppe_code = k.maalgruppe_code
