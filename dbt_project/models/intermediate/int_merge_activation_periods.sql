-- Days in activation per person: activation tilbud (seed tilbudstyper.er_aktivering)
-- that overlap or touch merged into one period, so a day covered by two tilbud counts once.
with activation as (
    select person_key, start_date, end_date
    from {{ ref('int_combine_tilbud_periods') }}
    where er_aktivering
),
merged as (
    {{ merge_contiguous('activation', ['person_key'], 'start_date', 'end_date') }}
)
select
    person_key,
    island_start as aktivering_start,
    island_end as aktivering_end,
    n_periods as n_tilbud
from merged
