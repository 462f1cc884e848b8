-- Forløb (spells): consecutive periods of the same målgruppe, each starting no later
-- than the day after the previous ended, merged into one with the first start kept.
with spells as (
    {{ merge_contiguous(ref('int_combine_maalgruppe_periods'), ['person_key', 'maalgruppe_code'],
                        'start_date', 'end_date', 'afslutningsaarsag') }}
)
select
    person_key,
    maalgruppe_code,
    island_start as spell_start,
    island_end as spell_end,
    n_periods,
    last_value as afslutningsaarsag
from spells
