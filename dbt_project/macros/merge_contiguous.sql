{#
  Gaps-and-islands: merge periods of one partition that touch or overlap into one
  (a period starting no later than the day after the previous one ended continues it).
  This is the definition of a forløb (spell) in docs/indicators.md, and of one stay in an
  afdeling. Open periods (null end) stay open. Returns island_start, island_end,
  n_periods and `last_value_col` of the latest period (e.g. its Afslutningsårsag).
#}
{% macro merge_contiguous(relation, partition_by, start_col, end_col, last_value_col=none) %}
with periods as (
    select
        {{ partition_by | join(', ') }},
        {{ start_col }} as p_start,
        coalesce({{ end_col }}, date '9999-12-31') as p_end
        {%- if last_value_col %}, {{ last_value_col }} as p_last_value{% endif %}
    from {{ relation }}
),
flagged as (
    select
        *,
        case
            when p_start <= max(p_end) over (
                partition by {{ partition_by | join(', ') }}
                order by p_start, p_end
                rows between unbounded preceding and 1 preceding
            ) + 1 then 0
            else 1
        end as starts_island
    from periods
),
numbered as (
    select
        *,
        sum(starts_island) over (
            partition by {{ partition_by | join(', ') }}
            order by p_start, p_end
            rows between unbounded preceding and current row
        ) as island_no
    from flagged
)
select
    {{ partition_by | join(', ') }},
    island_no,
    min(p_start) as island_start,
    nullif(max(p_end), date '9999-12-31') as island_end,
    count(*) as n_periods
    {#- arg_max_null: the last period's value even when it is null (a period cut where Momentum
        takes over has no Afslutningsårsag); arg_max would skip it and return an earlier one. #}
    {%- if last_value_col %}, arg_max_null(p_last_value, p_end) as last_value{% endif %}
from numbered
group by all
{% endmacro %}
