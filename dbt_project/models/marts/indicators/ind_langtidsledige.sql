-- langtidsledige (docs/indicators.md): persons langtidsledig (int_derive_langtidsledig_periods)
--   * at each month end (period_type 'day'): persons langtidsledig on D and living in the
--     area on D (the kommune: everyone);
--   * per complete year (period_type 'year'): helårspersoner = Σ over persons of the days
--     of the year on which the person is langtidsledig and lives in the area ÷ days in the
--     year. Unit fuldtidspersoner (seed indicator_period_units); persons_numerator = the
--     distinct persons with at least one such day. The same overlap arithmetic as
--     fuldtidspersoner (macros pieces_at_area_levels, fuldtid_days).
-- Month ends: the intervals of a langtidsledige målgruppe per area
-- (int_derive_status_intervals) overlapped with the person's langtidsledig periods, counted
-- with running sums (macro month_end_counts). A person's intervals per area do not overlap
-- (non-overlapping spells and stays), nor do langtidsledig periods: the overlaps count persons.
with status_intervals as (
    select i.area_level, i.area_id, i.person_key, i.from_date, i.to_date
    from {{ ref('int_derive_status_intervals') }} as i
    join {{ ref('maalgruppe_koder') }} as k using (maalgruppe_code)
    where k.i_langtidsledige
),
ll_intervals as (
    {{ intersect_pieces('status_intervals', ref('int_derive_langtidsledig_periods'), 'langtidsledig_fra', 'langtidsledig_til') }}
),
day_counts as (
    {{ month_end_counts('ll_intervals', from_col='from_date', to_col='to_date') }}
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
