{# Statistical disclosure control (docs/indicators.md): a person count from 1 to
   var('suppress_max_persons') is withheld. Used only on the way into publish_stage. #}
{% macro is_small_count(count_expr) -%}
    ({{ count_expr }} between 1 and {{ var('suppress_max_persons') }})
{%- endmacro %}
