-- The days of each målgruppe spell on which the person lives in an afdeling: every
-- overlap of a spell with a stay (int_derive_residence_periods), as one period.
-- Days spent elsewhere in the kommune are not here (the kommune level reads the spells).
-- Spells of a person do not overlap, nor do stays, so neither do these pieces.
select
    s.person_key,
    s.maalgruppe_code,
    r.afdelingsnummer,
    r.boligomraade,
    greatest(s.spell_start, r.bor_fra) as from_date,
    nullif(least(coalesce(s.spell_end, date '9999-12-31'), coalesce(r.bor_til, date '9999-12-31')),
           date '9999-12-31') as to_date
from {{ ref('int_merge_maalgruppe_spells') }} as s
join {{ ref('int_derive_residence_periods') }} as r
    on r.person_key = s.person_key
    and r.bor_fra <= coalesce(s.spell_end, date '9999-12-31')
    and s.spell_start <= coalesce(r.bor_til, date '9999-12-31')
