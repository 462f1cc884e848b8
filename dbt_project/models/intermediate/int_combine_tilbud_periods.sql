-- Tilbud from Momentum, and the pieces of Opera's aktivering that no Momentum tilbud of the
-- same person covers, whatever its type (macro keep_uncovered: Momentum wins day by day, so
-- an Opera activation day under a Momentum Mentorstøtte tilbud is Momentum's day and not
-- activation), none after Opera's extract date.
with opera as (
    select person_key, tilbudstype, er_aktivering, start_date, end_date, extract_date from {{ ref('stg_opera__aktivering') }}
),
momentum as (
    select person_key, start_date, end_date from {{ ref('stg_momentum__tilbud') }}
),
opera_left as (
    {{ keep_uncovered('opera', 'momentum', 'start_date', 'end_date', 'start_date', 'end_date') }}
)
select person_key, tilbudstype, er_aktivering, start_date, end_date, 'momentum' as source
from {{ ref('stg_momentum__tilbud') }}
union all
select person_key, tilbudstype, er_aktivering, start_date, end_date, 'opera'
from opera_left
