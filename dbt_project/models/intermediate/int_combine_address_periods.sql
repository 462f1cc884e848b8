-- Address periods from Momentum, and the pieces of Opera's that no Momentum address period
-- of the same person covers (macro keep_uncovered: Momentum wins day by day), none after
-- Opera's extract date.
with opera as (
    select person_key, address_key, postnummer, gyldig_fra, gyldig_til, extract_date from {{ ref('stg_opera__adresser') }}
),
momentum as (
    select person_key, gyldig_fra, gyldig_til from {{ ref('stg_momentum__borger_adresse') }}
),
opera_left as (
    {{ keep_uncovered('opera', 'momentum', 'gyldig_fra', 'gyldig_til', 'gyldig_fra', 'gyldig_til') }}
)
select person_key, address_key, postnummer, kommunekode, gyldig_fra, gyldig_til, 'momentum' as source
from {{ ref('stg_momentum__borger_adresse') }}
union all
select person_key, address_key, postnummer, null, gyldig_fra, gyldig_til, 'opera'
from opera_left
