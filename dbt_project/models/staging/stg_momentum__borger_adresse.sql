select
    person_key,
    address_key,
    postnummer,
    kommunekode,
    gyldig_fra,
    gyldig_til,
    extract_date,
    source_row
from {{ source('momentum', 'borger_adresse') }}
