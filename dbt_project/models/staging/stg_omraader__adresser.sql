select
    address_key,
    boligomraade,
    afdelingsnummer,
    afdelingsnavn,
    postnummer,
    source_row
from {{ source('omraader', 'adresser') }}
