-- Each address period of a citizen, matched to the register on the keyed normalised
-- address (sources/address.py). afdelingsnummer is null where the citizen lives elsewhere.
select
    a.person_key,
    a.gyldig_fra,
    a.gyldig_til,
    a.kommunekode,
    r.afdelingsnummer,
    r.boligomraade
from {{ ref('int_combine_address_periods') }} as a
left join {{ ref('stg_omraader__adresser') }} as r using (address_key)
