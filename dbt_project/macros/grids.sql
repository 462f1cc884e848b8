{# Every (month end, area level, area id): indicators left-join their counts to it,
   so a zero is a published zero, not a missing row. #}
{% macro month_end_area_grid() %}
    select d.as_of_date, a.area_level, a.area_id
    from {{ ref('int_generate_month_ends') }} as d
    cross join (select distinct area_level, area_id from {{ ref('int_derive_area_grid') }}) as a
{% endmacro %}

{# Every (period, area level, area id) for complete periods of the given types
   ('month', 'quarter', 'year'): period indicators left-join their sums to it. #}
{% macro period_area_grid(period_types) %}
    select p.period_type, p.period_start, p.period_end, p.period_days, a.area_level, a.area_id
    from {{ ref('int_generate_periods') }} as p
    cross join (select distinct area_level, area_id from {{ ref('int_derive_area_grid') }}) as a
    where p.period_type in ({% for t in period_types %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %})
{% endmacro %}

{# Every (plan activity, period) for complete periods of the given types: the grid of the
   project indicators, read at area_level 'helhedsplan', area_id = the plan listing the
   activity. An activity's periods start with the one holding its first startdato, and an
   activity whose roster delivered no enrolment has none: no roster is not zero participants. #}
{% macro activity_period_grid(period_types) %}
    select a.plan_id, a.activity_id, p.period_type, p.period_start, p.period_end
    from (
        select plan_id, activity_id, min(startdato) as first_start
        from {{ ref('int_assign_activity_enrolments') }}
        group by all
    ) as a
    join {{ ref('int_generate_periods') }} as p on p.period_end >= a.first_start
    where p.period_type in ({% for t in period_types %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %})
{% endmacro %}
