select
    person_key,
    samtale_id,
    samtaletype,
    frist,
    afholdt_dato,
    status as samtale_status,
    extract_date,
    source_row
from {{ source('momentum', 'samtale') }}
