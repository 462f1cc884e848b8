{# Fails for every period that starts on or before the end of an earlier period of the
   same partition (null end = open). #}
{% test periods_do_not_overlap(model, partition_by, start_column, end_column) %}
select *
from (
    select
        {{ partition_by | join(', ') }},
        {{ start_column }} as p_start,
        max(coalesce({{ end_column }}, date '9999-12-31')) over (
            partition by {{ partition_by | join(', ') }}
            order by {{ start_column }}
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from {{ model }}
)
where previous_end >= p_start
{% endtest %}
