-- Stays in an afdeling: address periods in the same afdeling that follow each other
-- without a gap are one stay (moving between two entrances is not moving out).
with matched as (
    select person_key, afdelingsnummer, boligomraade, gyldig_fra, gyldig_til
    from {{ ref('int_match_address_periods') }}
    where afdelingsnummer is not null
),
stays as (
    {{ merge_contiguous('matched', ['person_key', 'afdelingsnummer', 'boligomraade'], 'gyldig_fra', 'gyldig_til') }}
)
select
    person_key,
    afdelingsnummer,
    boligomraade,
    island_start as bor_fra,
    island_end as bor_til
from stays
