{% test end_not_before_start(model, start_column, end_column) %}
select * from {{ model }} where {{ end_column }} < {{ start_column }}
{% endtest %}
