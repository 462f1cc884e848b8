-- tilgang: målgruppe spells (forløb, int_merge_maalgruppe_spells) that start in a complete
-- year, per målgruppe, counted in the area where the person lives on the spell's start
-- day (the kommune always): the 'tilgang' events of int_locate_spell_events.
with counts as (
    select
        period_start,
        area_level,
        area_id,
        maalgruppe_code as variant,
        count(*) as spells,
        count(distinct person_key) as persons
    from {{ ref('int_locate_spell_events') }}
    where flow = 'tilgang'
    group by all
),
variants as (
    select maalgruppe_code as variant from {{ ref('maalgruppe_koder') }}
)
{{ indicator_rows('tilgang', 'periods', 'counts', variants='variants', count=('spells', 'persons')) }}
