{# Every indicator a plan names (indicator, variant, area level, period type) is computed:
   a typo in a plan's variant, or a filter no model supports, would otherwise publish
   nothing for it without a word. Fails once per plan indicator with no computed row. #}
{% test plan_indicators_are_computed(model, results) %}
select p.plan_id, p.delmaal_id, p.indicator_id, p.variant, p.area_level, p.period_type
from {{ model }} as p
where not exists (
    select 1 from {{ results }} as r
    where r.indicator_id = p.indicator_id
      and r.variant = p.variant
      and r.area_level = p.area_level
      and r.period_type = p.period_type
)
{% endtest %}
