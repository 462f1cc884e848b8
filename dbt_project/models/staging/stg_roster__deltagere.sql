select
    aktivitet,
    person_key,
    startdato,
    slutdato,
    status_ved_afslutning,
    timer_pr_uge,
    source_row
from {{ source('roster', 'deltagere') }}
