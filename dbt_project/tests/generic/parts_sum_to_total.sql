{# The variant convention `X|Y` (models/marts/indicators/README.md): the parts `X|…` of
   an indicator, area and period sum to its total `X`. Fails for every total that differs
   from the sum of its parts, or is missing. #}
{% test parts_sum_to_total(model, column_name) %}
with parts as (
    select
        indicator_id, split_part(variant, '|', 1) as total_variant,
        area_level, area_id, period_type, period_start, period_end,
        sum({{ column_name }}) as parts_sum
    from {{ model }}
    where contains(variant, '|')
    group by all
)
select p.*, t.{{ column_name }} as total
from parts as p
left join {{ model }} as t
    on t.indicator_id = p.indicator_id
    and t.variant = p.total_variant
    and t.area_level = p.area_level
    and t.area_id = p.area_id
    and t.period_type = p.period_type
    and t.period_start = p.period_start
    and t.period_end = p.period_end
where t.{{ column_name }} is distinct from p.parts_sum
{% endtest %}
