{# Every (month end, area level, area id): indicators left-join their counts to it,
   so a zero is a published zero, not a missing row. #}
{% macro month_end_area_grid() %}
    select d.as_of_date, a.area_level, a.area_id
    from {{ ref('int_generate_month_ends') }} as d
    cross join (select distinct area_level, area_id from {{ ref('int_derive_area_grid') }}) as a
{% endmacro %}
