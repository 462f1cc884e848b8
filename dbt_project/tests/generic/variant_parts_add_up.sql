{# The variant convention of marts/indicators/README.md: a variant `X|Y` is the part Y of
   the total X of the same indicator, area and period. Fails for every total X whose
   parts' persons_numerator do not add up to its own, or whose total row is missing. #}
{% test variant_parts_add_up(model) %}
with parts as (
    select
        indicator_id,
        regexp_extract(variant, '^(.*)\|[^|]*$', 1) as total_variant,
        area_level, area_id, period_type, period_start, period_end,
        sum(persons_numerator) as parts_persons
    from {{ model }}
    where variant like '%|%'
    group by all
)
select p.*, t.persons_numerator as total_persons
from parts as p
left join {{ model }} as t
    on t.indicator_id = p.indicator_id and t.variant = p.total_variant
    and t.area_level = p.area_level and t.area_id = p.area_id
    and t.period_type = p.period_type and t.period_start = p.period_start and t.period_end = p.period_end
where t.persons_numerator is distinct from p.parts_persons
{% endtest %}
