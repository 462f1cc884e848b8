-- afgang: målgruppe spells (forløb, int_merge_maalgruppe_spells) that end in a complete
-- year (an open spell has not ended), per målgruppe (variant `<code>`) and split by the
-- Afslutningsårsag of the spell's last period (variant `<code>|<årsag>`, one part per
-- reason of seed afslutningsaarsager, so `<code>` = the sum of its parts). Counted in the
-- area where the person lives on the spell's end day (the kommune always): the 'afgang'
-- events of int_locate_spell_events, where a spell that ended without a reason counts
-- under `Andet` (see ind_afgang.yml).
with counts as (
    select
        period_start,
        area_level,
        area_id,
        maalgruppe_code
            || case when grouping(afslutningsaarsag) = 0 then '|' || afslutningsaarsag else '' end as variant,
        count(*) as spells,
        count(distinct person_key) as persons
    from {{ ref('int_locate_spell_events') }}
    where flow = 'afgang'
    group by grouping sets (
        (period_start, area_level, area_id, maalgruppe_code),
        (period_start, area_level, area_id, maalgruppe_code, afslutningsaarsag)
    )
),
variants as (
    select maalgruppe_code as variant from {{ ref('maalgruppe_koder') }}
    union all
    select k.maalgruppe_code || '|' || a.afslutningsaarsag
    from {{ ref('maalgruppe_koder') }} as k
    cross join {{ ref('afslutningsaarsager') }} as a
)
{{ indicator_rows('afgang', 'periods', 'counts', variants='variants', count=('spells', 'persons')) }}
