-- The days each målgruppe spell counts in each area (level, id), as intervals instead of
-- rows per person and month end: the whole spell for the kommune (everyone in the extract),
-- and each overlap of the spell with a stay (int_derive_residence_periods) for the stay's
-- afdeling, its boligområde and every plan covering that boligområde: the areas of
-- int_assign_status_areas, for indicators that count persons at month ends with running
-- sums (macro month_end_counts). spell_start is kept for rules on the spell's length,
-- person_key to intersect the intervals with other periods of the person.
-- Spells of a person do not overlap, nor do stays: at most one interval per person, area
-- and målgruppe covers any day.
with spells as (
    select person_key, maalgruppe_code, spell_start, spell_end
    from {{ ref('int_merge_maalgruppe_spells') }}
),
resident as (
    select
        s.person_key,
        s.maalgruppe_code,
        s.spell_start,
        r.afdelingsnummer,
        r.boligomraade,
        greatest(s.spell_start, r.bor_fra) as from_date,
        nullif(least(coalesce(s.spell_end, date '9999-12-31'), coalesce(r.bor_til, date '9999-12-31')),
               date '9999-12-31') as to_date
    from spells as s
    join {{ ref('int_derive_residence_periods') }} as r
        on r.person_key = s.person_key
        and r.bor_fra <= coalesce(s.spell_end, date '9999-12-31')
        and s.spell_start <= coalesce(r.bor_til, date '9999-12-31')
),
grid as (
    select area_level, area_id, boligomraade
    from {{ ref('int_derive_area_grid') }}
    where area_level in ('helhedsplan', 'kommune')
)
select 'afdeling' as area_level, afdelingsnummer as area_id, person_key, maalgruppe_code, spell_start, from_date, to_date
from resident
where afdelingsnummer is not null
union all
select 'boligomraade', boligomraade, person_key, maalgruppe_code, spell_start, from_date, to_date
from resident
where boligomraade is not null
union all
select 'helhedsplan', g.area_id, r.person_key, r.maalgruppe_code, r.spell_start, r.from_date, r.to_date
from resident as r
join grid as g on g.area_level = 'helhedsplan' and g.boligomraade = r.boligomraade
union all
select 'kommune', g.area_id, s.person_key, s.maalgruppe_code, s.spell_start, s.spell_start, s.spell_end
from spells as s
join grid as g on g.area_level = 'kommune'
