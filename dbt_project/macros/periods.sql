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

{# The first day on which age_on(birth_date, day) >= `years`: the birthday in the year
   birth year + `years`; a 29 February birthday falls on 1 March in a year without one
   (as in age_on). So age_on(b, day) < N exactly when day < birthday(b, N). #}
{% macro birthday(birth_date, years) -%}
    (case
        when month({{ birth_date }}) = 2 and day({{ birth_date }}) = 29
             and day(last_day(make_date(year({{ birth_date }}) + {{ years }}, 2, 1))) = 28
        then make_date(year({{ birth_date }}) + {{ years }}, 3, 1)
        else make_date(year({{ birth_date }}) + {{ years }}, month({{ birth_date }}), day({{ birth_date }}))
    end)
{%- endmacro %}
