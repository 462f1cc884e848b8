-- sygedagpenge_lange_forloeb: 6.6 spells open on the month end that have lasted over
-- 26 weeks (more than 182 days) and over 52 weeks (more than 364 days).
-- Counted from the spells' intervals with running sums (macro month_end_counts): a spell
-- counts in a variant from its (days + 1)th day.
with limits as (
    select 'over 26 uger' as variant, 182 as days
    union all
    select 'over 52 uger', 364
),
intervals as (
    select i.area_level, i.area_id, l.variant,
           greatest(i.from_date, i.spell_start + l.days) as count_from, i.to_date as count_to
    from {{ ref('int_derive_status_intervals') }} as i
    cross join limits as l
    where i.maalgruppe_code = '6.6'
),
counts as (
    {{ month_end_counts('intervals', ['variant']) }}
)
{{ indicator_rows('sygedagpenge_lange_forloeb', 'month_ends', 'counts', variants='limits', count=('persons', 'persons')) }}
