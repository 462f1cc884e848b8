-- Address periods from Momentum, and from Opera before the person's first Momentum address
-- (macro keep_before_successor).
with opera as (
    select person_key, address_key, postnummer, gyldig_fra, gyldig_til, extract_date from {{ ref('stg_opera__adresser') }}
),
momentum as (
    select person_key, gyldig_fra, gyldig_til from {{ ref('stg_momentum__borger_adresse') }}
),
opera_left as (
    {{ keep_before_successor('opera', 'momentum', 'gyldig_fra', 'gyldig_til', 'gyldig_fra') }}
)
select person_key, address_key, postnummer, kommunekode, gyldig_fra, gyldig_til, 'momentum' as source
from {{ ref('stg_momentum__borger_adresse') }}
union all
select person_key, address_key, postnummer, null, gyldig_fra, gyldig_til, 'opera'
from opera_left
