-- fuldtidspersoner per complete month, quarter and year (a year's figure is helårspersoner),
-- per målgruppe (variant = målgruppe code): Σ over persons of the days in the period on which
-- the person is in the målgruppe and lives in the area, ÷ the days in the period. In the
-- kommune every day of a spell counts, wherever the person lives.
with resident as (
    select * from {{ ref('int_intersect_maalgruppe_residence') }}
),
everyone as (
    select person_key, maalgruppe_code, spell_start as from_date, spell_end as to_date
    from {{ ref('int_merge_maalgruppe_spells') }}
),
pieces as (
    {{ pieces_at_area_levels('resident', 'everyone', ['maalgruppe_code']) }}
),
sums as (
    {{ fuldtid_days('pieces', ['maalgruppe_code'], ['month', 'quarter', 'year']) }}
)
select
    'fuldtidspersoner' as indicator_id,
    k.maalgruppe_code as variant,
    g.area_level,
    g.area_id,
    g.period_type,
    g.period_start,
    g.period_end,
    cast(coalesce(s.days, 0) as double) / g.period_days as value,
    -- A count-like figure: no numerator or denominator (README: for shares and rates).
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    coalesce(s.persons, 0) as persons_numerator,
    cast(null as bigint) as persons_denominator,
    false as source_suppressed
from ({{ period_area_grid(['month', 'quarter', 'year']) }}) as g
cross join {{ ref('maalgruppe_koder') }} as k
left join sums as s
    on s.period_type = g.period_type and s.period_start = g.period_start
    and s.area_level = g.area_level and s.area_id = g.area_id
    and s.maalgruppe_code = k.maalgruppe_code
