{# The last day of a plan's baseline period: 'YYYY' -> 31 December, 'YYYY-MM' -> the
   month's last day. A computed baseline is the figure whose period ends that day. #}
{% macro period_label_end(label) -%}
    case
        when length({{ label }}) = 7 then cast(last_day(strptime({{ label }} || '-01', '%Y-%m-%d')) as date)
        when length({{ label }}) = 4 then make_date(cast({{ label }} as integer), 12, 31)
    end
{%- endmacro %}
