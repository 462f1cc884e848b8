-- sygedagpenge_lange_forloeb: 6.6 spells open on the month end that have lasted over
-- 26 weeks (more than 182 days) and over 52 weeks (more than 364 days).
with limits as (
    select 'over 26 uger' as variant, 182 as days
    union all
    select 'over 52 uger', 364
),
counts as (
    select s.as_of_date, s.area_level, s.area_id, l.variant, count(*) as spells
    from {{ ref('int_assign_status_areas') }} as s
    join limits as l on s.spell_days > l.days
    where s.maalgruppe_code = '6.6'
    group by all
)
{{ indicator_rows('sygedagpenge_lange_forloeb', 'month_ends', 'counts', variants='limits', count=('spells', 'spells')) }}
