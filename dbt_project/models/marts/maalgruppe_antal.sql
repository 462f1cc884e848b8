-- Indicator maalgruppe_antal (indicators.md), unsuppressed: persons living in the area
-- on each month end with a målgruppe period covering it (6.1 only after 26 weeks).
-- Every (month end, area, målgruppe) appears, zeros included.
with status as (
    select * from {{ ref('int_assign_maalgruppe_status') }}
    where counts_in_maalgruppe_antal
),
counts as (
    select as_of_date, 'afdeling' as area_level, afdelingsnummer as area_id, maalgruppe_code, count(*) as persons
    from status where afdelingsnummer is not null group by all
    union all
    select as_of_date, 'boligomraade', boligomraade, maalgruppe_code, count(*)
    from status where boligomraade is not null group by all
    union all
    select s.as_of_date, 'helhedsplan', g.plan_id, s.maalgruppe_code, count(*)
    from status as s
    join {{ ref('area_grid') }} as g on g.area_level = 'helhedsplan' and g.boligomraade = s.boligomraade
    group by all
    union all
    select s.as_of_date, 'kommune', g.area_id, s.maalgruppe_code, count(*)
    from status as s
    join {{ ref('area_grid') }} as g on g.area_level = 'kommune'
    group by all
),
areas as (
    select distinct area_level, area_id from {{ ref('area_grid') }}
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
