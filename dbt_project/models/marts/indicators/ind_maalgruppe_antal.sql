-- maalgruppe_antal in the common indicator shape: one variant per målgruppe code.
select
    'maalgruppe_antal' as indicator_id,
    maalgruppe_code as variant,
    area_level,
    area_id,
    'day' as period_type,
    as_of_date as period_start,
    as_of_date as period_end,
    cast(persons as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    persons as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from {{ ref('maalgruppe_antal') }}
