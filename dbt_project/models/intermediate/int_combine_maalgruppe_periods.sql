-- Målgruppe periods from Momentum, and the pieces of Opera's that no Momentum målgruppe
-- period of the same person covers (macro keep_uncovered; docs/sources.md: where both cover
-- the same days, Momentum wins, day by day), none after Opera's extract date. Opera groups
-- that map to no current målgruppe are left out. A piece that ends before its Opera period
-- did loses its Afslutningsårsag: it did not end there for that reason.
with opera as (
    select person_key, maalgruppe_code, start_date, end_date, afslutningsaarsag, extract_date
    from {{ ref('stg_opera__matchperioder') }}
    where maalgruppe_code is not null
),
momentum as (
    select person_key, start_date, end_date from {{ ref('stg_momentum__maalgruppe') }}
),
opera_left as (
    {{ keep_uncovered('opera', 'momentum', 'start_date', 'end_date', 'start_date', 'end_date') }}
)
select person_key, maalgruppe_code, start_date, end_date, afslutningsaarsag, 'momentum' as source, extract_date
from {{ ref('stg_momentum__maalgruppe') }}
union all
select person_key, maalgruppe_code, start_date, end_date,
       case when end_was_cut then null else afslutningsaarsag end, 'opera', extract_date
from opera_left
