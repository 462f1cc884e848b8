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
),
codes as (
    select maalgruppe_code from {{ ref('maalgruppe_koder') }}
)
-- A count-like figure: no numerator or denominator (README: for shares and rates).
{{ indicator_rows('fuldtidspersoner', 'periods', 'sums', period_types=['month', 'quarter', 'year'],
                  variants='codes', variant_keys=['maalgruppe_code'], variant='v.maalgruppe_code',
                  value='cast(coalesce(c.days, 0) as double) / g.period_days',
                  persons_numerator='coalesce(c.persons, 0)') }}
