-- ledige_omfattet: persons living in the area on the month end in a målgruppe marked
-- i_ledige_omfattet in seed maalgruppe_koder (6.2–6.5, 6.8, INT-SHP).
with counts as (
    select s.as_of_date, s.area_level, s.area_id, count(*) as persons
    from {{ ref('int_assign_status_areas') }} as s
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    where k.i_ledige_omfattet
    group by all
)
{{ indicator_rows('ledige_omfattet', 'month_ends', 'counts', count=('persons', 'persons')) }}
