select
    person_key,
    address_key,
    postnummer,
    gyldig_fra,
    gyldig_til,
    extract_date,
    source_row
from {{ source('opera', 'adresser') }}
