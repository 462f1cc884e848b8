-- ledige_omfattet: persons living in the area on the month end in a målgruppe marked
-- i_ledige_omfattet in seed maalgruppe_koder (6.2–6.5, 6.8, INT-SHP).
-- Counted from the spells' intervals with running sums (macro month_end_counts); a person
-- is in one målgruppe on a day, so the intervals of all these målgrupper count persons.
with intervals as (
    select i.area_level, i.area_id, i.from_date as count_from, i.to_date as count_to
    from {{ ref('int_derive_status_intervals') }} as i
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    where k.i_ledige_omfattet
),
counts as (
    {{ month_end_counts('intervals') }}
)
{{ indicator_rows('ledige_omfattet', 'month_ends', 'counts', count=('persons', 'persons')) }}
