select
    plan_id,
    kommunekode,
    delmaal_id,
    position,
    indicator_id,
    coalesce(variant, '') as variant,
    text,
    filters,
    area_level,
    period_type,
    baseline_value,
    baseline_period,
    baseline_comparison_value,
    baseline_compute,
    target_value,
    target_date,
    target_direction
from {{ source('plans', 'plan_indicators') }}
