{# The last day of a plan's baseline period: 'YYYY' -> 31 December, 'YYYY-MM' -> the
   month's last day. A computed baseline is the figure whose period ends that day. #}
{% macro period_label_end(label) -%}
    case
        when length({{ label }}) = 7 then cast(last_day(strptime({{ label }} || '-01', '%Y-%m-%d')) as date)
        when length({{ label }}) = 4 then make_date(cast({{ label }} as integer), 12, 31)
    end
{%- endmacro %}

{# Age in whole years on a day: birthdays on 29 February fall on 1 March in other years. #}
{% macro age_on(birth_date, day) -%}
    (date_part('year', {{ day }}) - date_part('year', {{ birth_date }})
     - case when strftime({{ day }}, '%m%d') < strftime({{ birth_date }}, '%m%d') then 1 else 0 end)
{%- endmacro %}
