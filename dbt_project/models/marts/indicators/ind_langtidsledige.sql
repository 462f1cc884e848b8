-- langtidsledige (indicators.md): persons langtidsledig (int_derive_langtidsledig_periods)
--   * at each month end (period_type 'day'): persons langtidsledig on D and living in the
--     area on D (the kommune: everyone);
--   * per complete year (period_type 'year'): helårspersoner = Σ over persons of the days
--     of the year on which the person is langtidsledig and lives in the area ÷ days in the
--     year. Unit fuldtidspersoner (seed indicator_period_units); persons_numerator = the
--     distinct persons with at least one such day. The same overlap arithmetic as
--     fuldtidspersoner (macros pieces_at_area_levels, fuldtid_days).
with ll as (
    select person_key, langtidsledig_fra as fra, coalesce(langtidsledig_til, date '9999-12-31') as til
    from {{ ref('int_derive_langtidsledig_periods') }}
),
day_counts as (
    -- A person has one status row per month end and area (non-overlapping spells and stays)
    -- and langtidsledig periods do not overlap: count(*) counts distinct persons.
    select s.as_of_date, s.area_level, s.area_id, count(*) as persons
    from {{ ref('int_assign_status_areas') }} as s
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    join ll on ll.person_key = s.person_key and s.as_of_date between ll.fra and ll.til
    where k.i_langtidsledige
    group by all
),
-- Langtidsledig days anywhere (everyone, for the kommune) and while living in an afdeling
-- (resident). Neither langtidsledig periods nor stays of a person overlap, so neither do
-- these pieces, as fuldtid_days requires.
everyone as (
    select person_key, langtidsledig_fra as from_date, langtidsledig_til as to_date
    from {{ ref('int_derive_langtidsledig_periods') }}
),
resident as (
    {{ intersect_pieces('everyone', ref('int_derive_residence_periods'), 'bor_fra', 'bor_til',
                        ['afdelingsnummer', 'boligomraade']) }}
),
pieces as (
    {{ pieces_at_area_levels('resident', 'everyone') }}
),
year_sums as (
    {{ fuldtid_days('pieces', [], ['year']) }}
)
{{ indicator_rows('langtidsledige', 'month_ends', 'day_counts', count=('persons', 'persons')) }}
union all
{{ indicator_rows('langtidsledige', 'periods', 'year_sums',
                  value='cast(coalesce(c.days, 0) as double) / g.period_days',
                  persons_numerator='coalesce(c.persons, 0)') }}
