select
    person_key,
    foedselsdato,
    maalgruppe_code,
    start_date,
    end_date,
    afslutningsaarsag,
    extract_date,
    source_row
from {{ source('momentum', 'maalgruppe') }}
