{# Fails for every row where the SQL expression is not true. #}
{% test expression_holds(model, column_name, expression) %}
select * from {{ model }} where not coalesce(({{ expression }}), false)
{% endtest %}
