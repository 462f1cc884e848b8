{{ config(alias='maalgruppe_status') }}
-- published.maalgruppe_status (published.md): maalgruppe_antal after disclosure control.
select
    as_of_date,
    area_level,
    area_id,
    maalgruppe_code,
    maalgruppe_name,
    cast(case when {{ is_small_count('persons') }} then null else persons end as integer) as persons,
    {{ is_small_count('persons') }} as suppressed
from {{ ref('maalgruppe_antal') }}
