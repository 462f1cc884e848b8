-- Tilbud from Momentum, and Opera's aktivering before the person's first Momentum
-- målgruppe period (macro keep_before_successor).
with opera as (
    select person_key, tilbudstype, er_aktivering, start_date, end_date, extract_date from {{ ref('stg_opera__aktivering') }}
),
momentum as (
    select person_key, start_date from {{ ref('stg_momentum__maalgruppe') }}
),
opera_left as (
    {{ keep_before_successor('opera', 'momentum', 'start_date', 'end_date', 'start_date') }}
)
select person_key, tilbudstype, er_aktivering, start_date, end_date, 'momentum' as source
from {{ ref('stg_momentum__tilbud') }}
union all
select person_key, tilbudstype, er_aktivering, start_date, end_date, 'opera'
from opera_left
