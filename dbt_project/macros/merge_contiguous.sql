{#
  Gaps-and-islands: merge periods of one partition that touch or overlap into one
  (a period starting no later than the day after the previous one ended continues it).
  This is the definition of a forløb (spell) in docs/indicators.md, and of one stay in an
  afdeling. Open periods (null end) stay open. Returns island_start, island_end,
  n_periods and `last_value_col` of the latest period (e.g. its Afslutningsårsag).

  One window pass decides for every period whether it starts an island (it starts after
  the day after every earlier period of the partition ended) and whether the next period
  starts one. Most islands are one period (at 1 000 000 persons 9 of 10 spells): those are
  the result as they are. Only the periods of islands of two or more go through the second
  window (island number) and the aggregation; an island is never split between the two
  paths, so each path sees whole islands.
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
    -- One sort (one window spec): whether this period starts an island (it starts after the
    -- day after every earlier period ended) and whether the next one does. Periods with the
    -- same start and end are ordered either way; within this one sort each sees the other as
    -- earlier or later, so neither is taken for an island of one.
    select
        *,
        case when p_start <= prev_max_end + 1 then 0 else 1 end as starts_island,
        case when next_start <= greatest(prev_max_end, p_end) + 1 then 0 else 1 end as next_starts_island
    from (
        select
            *,
            max(p_end) over (
                partition by {{ partition_by | join(', ') }}
                order by p_start, p_end
                rows between unbounded preceding and 1 preceding
            ) as prev_max_end,
            lead(p_start) over (
                partition by {{ partition_by | join(', ') }}
                order by p_start, p_end
            ) as next_start
        from periods
    )
),
numbered as (
    -- An island is named by its first day: the latest start that starts an island, peers
    -- (the same start) included, so the name does not depend on how this second sort orders
    -- periods with the same start.
    select
        *,
        max(case when starts_island = 1 then p_start end) over (
            partition by {{ partition_by | join(', ') }} order by p_start
            range between unbounded preceding and current row
        ) as island_no
    from flagged
    where not (starts_island = 1 and next_starts_island = 1)
)
select
    {{ partition_by | join(', ') }},
    p_start as island_start,
    nullif(p_end, date '9999-12-31') as island_end,
    cast(1 as bigint) as n_periods
    {%- if last_value_col %}, p_last_value as last_value{% endif %}
from flagged
where starts_island = 1 and next_starts_island = 1
union all
select
    {{ partition_by | join(', ') }},
    min(p_start) as island_start,
    nullif(max(p_end), date '9999-12-31') as island_end,
    count(*) as n_periods
    {#- arg_max_null: the last period's value even when it is null (a period cut where Momentum
        takes over has no Afslutningsårsag); arg_max would skip it and return an earlier one. #}
    {%- if last_value_col %}, arg_max_null(p_last_value, p_end) as last_value{% endif %}
from numbered
group by {{ partition_by | join(', ') }}, island_no
{% endmacro %}
