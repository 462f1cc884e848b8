-- The days of each målgruppe spell on which the person lives in an afdeling: every
-- overlap of a spell with a stay (int_derive_residence_periods), as one period.
-- Days spent elsewhere in the kommune are not here (the kommune level reads the spells).
-- Spells of a person do not overlap, nor do stays, so neither do these pieces.
with spells as (
    select person_key, maalgruppe_code, spell_start as from_date, spell_end as to_date
    from {{ ref('int_merge_maalgruppe_spells') }}
)
{{ intersect_pieces('spells', ref('int_derive_residence_periods'), 'bor_fra', 'bor_til',
                    ['afdelingsnummer', 'boligomraade']) }}
