{# The N-month follow-up indicators of the project activities (selvforsoergende_efter,
   i_uddannelse_efter): per activity, year of slutdato and N (var('project_followup_months')),
   the percentage of the persons who ended whose follow-up is due (slutdato + N months on or
   before the extract date) and for whom `counts` holds (an expression over the columns of
   int_derive_exit_followups). Variant '<activity>, <N> mdr': the N are not parts of a total. #}
{% macro followup_share(indicator_id, counts) %}
with due as (
    select plan_id, activity_id, exit_year, months_after,
           count(*) as persons_due,
           count(*) filter (where {{ counts }}) as persons_counted
    from {{ ref('int_derive_exit_followups') }}
    where is_due
    group by all
),
months as (
    select unnest({{ var('project_followup_months') }}) as months_after
)
select
    '{{ indicator_id }}' as indicator_id,
    g.activity_id || ', ' || m.months_after || ' mdr' as variant,
    'helhedsplan' as area_level,
    g.plan_id as area_id,
    'year' as period_type,
    g.period_start,
    g.period_end,
    100.0 * d.persons_counted / nullif(d.persons_due, 0) as value,
    cast(coalesce(d.persons_counted, 0) as double) as numerator,
    cast(coalesce(d.persons_due, 0) as double) as denominator,
    coalesce(d.persons_counted, 0) as persons_numerator,
    coalesce(d.persons_due, 0) as persons_denominator,
    false as source_suppressed
from ({{ activity_period_grid(['year']) }}) as g
cross join months as m
left join due as d
    on d.plan_id = g.plan_id and d.activity_id = g.activity_id
    and d.exit_year = year(g.period_start) and d.months_after = m.months_after
{% endmacro %}
