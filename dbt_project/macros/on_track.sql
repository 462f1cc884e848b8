{# on_track (docs/published.md): has the figure moved from the baseline toward the target as
   far as the time elapsed requires, on a straight line from the baseline date to the
   target date? A 'hold' target with a value is a ceiling. Null without baseline and
   target, before the baseline date, and for withheld figures. #}
{% macro on_track(value, baseline, baseline_date, target, target_date, direction, as_of, suppressed) -%}
    case
        when {{ suppressed }} or {{ value }} is null then null
        when {{ direction }} = 'hold' and {{ target }} is not null then {{ value }} <= {{ target }}
        when {{ baseline }} is null or {{ target }} is null or {{ target_date }} is null then null
        when {{ as_of }} <= {{ baseline_date }} or {{ target_date }} <= {{ baseline_date }} then null
        else (
            {{ value }} - (
                {{ baseline }} + ({{ target }} - {{ baseline }})
                * least(1.0, datediff('day', {{ baseline_date }}, {{ as_of }})
                             / datediff('day', {{ baseline_date }}, {{ target_date }}))
            )
        ) * sign({{ target }} - {{ baseline }}) >= 0
    end
{%- endmacro %}
