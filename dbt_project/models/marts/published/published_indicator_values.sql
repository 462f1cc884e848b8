{{ config(alias='indicator_values') }}
-- published.indicator_values (docs/published.md): each plan's indicators for its areas and
-- every period computed, with baseline, comparison (the kommune), target and on_track.
-- Values come from indicator_results_disclosed, so suppression is the same everywhere.
-- A running period's row (period_complete false, figures up to data_through) is never a
-- computed baseline, and its on_track is not assessed (null): docs/published.md.
with plan_indicators as (
    select * from {{ ref('stg_plans__plan_indicators') }}
),
plan_omraader as (
    select * from {{ ref('stg_plans__plan_omraader') }}
),
read_at as (  -- the areas each plan indicator is read at
    select p.plan_id, p.delmaal_id, p.position, p.area_level, p.plan_id as area_id
    from plan_indicators as p where p.area_level = 'helhedsplan'
    union all
    select p.plan_id, p.delmaal_id, p.position, p.area_level, o.boligomraade
    from plan_indicators as p join plan_omraader as o using (plan_id) where p.area_level = 'boligomraade'
    union all
    select p.plan_id, p.delmaal_id, p.position, p.area_level, g.area_id
    from plan_indicators as p
    join plan_omraader as o using (plan_id)
    join {{ ref('int_derive_area_grid') }} as g on g.area_level = 'afdeling' and g.boligomraade = o.boligomraade
    where p.area_level = 'afdeling'
    union all
    select p.plan_id, p.delmaal_id, p.position, p.area_level, p.kommunekode
    from plan_indicators as p where p.area_level = 'kommune'
),
results as (
    select * from {{ ref('indicator_results_disclosed') }}
),
rows as (
    select
        p.*,
        a.area_id,
        r.period_start,
        r.period_end,
        r.value,
        r.numerator,
        r.denominator,
        r.suppressed,
        r.unit,
        r.source,
        r.extract_date,
        r.period_complete,
        r.data_through,
        {{ period_label_end('p.baseline_period') }} as baseline_date
    from plan_indicators as p
    join read_at as a using (plan_id, delmaal_id, position)
    join results as r
        on r.indicator_id = p.indicator_id
        and r.variant = p.variant
        and r.area_level = p.area_level
        and r.area_id = a.area_id
        and r.period_type = p.period_type
),
with_context as (
    select
        rows.*,
        coalesce(rows.baseline_value,
                 case when rows.baseline_compute and not b.suppressed then b.value end) as baseline,
        case when rows.area_level <> 'kommune' and not k.suppressed then k.value end as comparison
    from rows
    left join results as b  -- the computed baseline: the same figure at the baseline date
        on b.indicator_id = rows.indicator_id and b.variant = rows.variant
        and b.area_level = rows.area_level and b.area_id = rows.area_id
        and b.period_type = rows.period_type and b.period_end = rows.baseline_date
        and b.period_complete
    left join results as k  -- the comparison: the same figure for the plan's kommune
        on k.indicator_id = rows.indicator_id and k.variant = rows.variant
        and k.area_level = 'kommune' and k.area_id = rows.kommunekode
        and k.period_type = rows.period_type and k.period_start = rows.period_start
        and k.period_end = rows.period_end
)
select
    plan_id,
    delmaal_id,
    indicator_id,
    variant,
    area_level,
    area_id,
    period_type,
    period_start,
    period_end,
    case when suppressed then null else value end as value,
    unit,
    case when suppressed then null else numerator end as numerator,
    case when suppressed then null else denominator end as denominator,
    suppressed,
    baseline as baseline_value,
    baseline_period,
    comparison as comparison_value,
    target_value,
    target_date,
    case when period_complete then
        {{ on_track('value', 'baseline', 'baseline_date', 'target_value', 'target_date', 'target_direction', 'period_end', 'suppressed') }}
    end as on_track,
    source,
    extract_date,
    period_complete,
    data_through
from with_context
