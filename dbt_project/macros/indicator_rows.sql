{#
  The common output of an indicator model (models/marts/indicators/README.md): every cell
  of a grid, times the `variants`, with the model's `counts` left-joined to it, so a zero
  is a published zero and not a missing row. One select, no `with`: callers may union two.

  grid: 'month_ends'       (month_end_area_grid; keys as_of_date, area_level, area_id),
        'periods'          (period_area_grid(period_types); keys period_start, area_level,
                            area_id, and period_type when more than one type),
        'activity_periods' (activity_period_grid(period_types), read at the helhedsplan of
                            the plan listing the activity; keys plan_id, activity_id,
                            period_type, period_start).
  keys: grid columns that `counts` has too, to override the default keys.
  variants: a relation cross-joined to the grid (alias v), matched to counts on
        `variant_keys`; `variant` is the output expression (default v.variant; without
        variants: g.activity_id on the activity grid, else '').
  indicator_id: the id; none = v.indicator_id (plan variants: one id per wanted row).
  Figure, one of:
    count=(n, persons): a count (value n, persons_numerator persons; no shares);
    share=(n, d, persons_n, persons_d): value = 100 × n / d (null when d is 0 or missing);
    or the expressions value, numerator, denominator, persons_numerator,
    persons_denominator over g (grid) and c (counts); a missing one is a typed null.
#}
{% macro indicator_rows(indicator_id, grid, counts, period_types=['year'], keys=none,
                        variants=none, variant_keys=['variant'], variant=none,
                        count=none, share=none, value=none, numerator=none, denominator=none,
                        persons_numerator=none, persons_denominator=none) %}
    {%- if grid == 'month_ends' -%}
        {%- set default_keys = ['as_of_date', 'area_level', 'area_id'] -%}
    {%- elif grid == 'periods' -%}
        {%- set default_keys = (['period_type'] if period_types | length > 1 else []) + ['period_start', 'area_level', 'area_id'] -%}
    {%- elif grid == 'activity_periods' -%}
        {%- set default_keys = ['plan_id', 'activity_id', 'period_type', 'period_start'] -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("indicator_rows: unknown grid '" ~ grid ~ "'") }}
    {%- endif -%}
    {%- set join_keys = keys if keys is not none else default_keys -%}

    {%- if count is not none -%}
        {%- set value = 'cast(coalesce(c.' ~ count[0] ~ ', 0) as double)' -%}
        {%- set persons_numerator = 'coalesce(c.' ~ count[1] ~ ', 0)' -%}
    {%- elif share is not none -%}
        {%- set value = '100.0 * c.' ~ share[0] ~ ' / nullif(c.' ~ share[1] ~ ', 0)' -%}
        {%- set numerator = 'cast(coalesce(c.' ~ share[0] ~ ', 0) as double)' -%}
        {%- set denominator = 'cast(coalesce(c.' ~ share[1] ~ ', 0) as double)' -%}
        {%- set persons_numerator = 'coalesce(c.' ~ share[2] ~ ', 0)' -%}
        {%- set persons_denominator = 'coalesce(c.' ~ share[3] ~ ', 0)' -%}
    {%- endif -%}

    {%- if variant is none -%}
        {%- set variant = 'v.variant' if variants is not none
                          else ('g.activity_id' if grid == 'activity_periods' else "''") -%}
    {%- endif %}
select
    {{ "'" ~ indicator_id ~ "'" if indicator_id is not none else 'v.indicator_id' }} as indicator_id,
    {{ variant }} as variant,
    g.area_level,
    g.area_id,
    g.period_type,
    g.period_start,
    g.period_end,
    {{ value if value is not none else 'cast(null as double)' }} as value,
    {{ numerator if numerator is not none else 'cast(null as double)' }} as numerator,
    {{ denominator if denominator is not none else 'cast(null as double)' }} as denominator,
    {{ persons_numerator if persons_numerator is not none else 'cast(null as bigint)' }} as persons_numerator,
    {{ persons_denominator if persons_denominator is not none else 'cast(null as bigint)' }} as persons_denominator,
    false as source_suppressed
from (
    {%- if grid == 'month_ends' %}
    select *, 'day' as period_type, as_of_date as period_start, as_of_date as period_end
    from ({{ month_end_area_grid() }})
    {%- elif grid == 'periods' %}
    {{ period_area_grid(period_types) }}
    {%- else %}
    select *, 'helhedsplan' as area_level, plan_id as area_id
    from ({{ activity_period_grid(period_types) }})
    {%- endif %}
) as g
{%- if variants is not none %}
cross join {{ variants }} as v
{%- endif %}
left join {{ counts }} as c
    on {% for k in join_keys %}c.{{ k }} = g.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- if variants is not none %}{% for k in variant_keys %} and c.{{ k }} = v.{{ k }}{% endfor %}{% endif %}
{% endmacro %}
