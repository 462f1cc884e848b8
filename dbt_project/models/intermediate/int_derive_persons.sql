-- One row per person with a målgruppe period (Momentum or Opera): the birth date the
-- reader derived from the CPR before pseudonymising it. Age filters of plans
-- (max_alder, aldersgruppe) read it; ages are whole years on the day (docs/indicators.md).
select
    person_key,
    max(foedselsdato) as foedselsdato
from (
    select person_key, foedselsdato from {{ ref('stg_momentum__maalgruppe') }}
    union all
    select person_key, foedselsdato from {{ ref('stg_opera__matchperioder') }}
)
group by person_key
