{# The N-month follow-up indicators of the project activities (selvforsoergende_efter,
   i_uddannelse_efter): per activity, year of slutdato and N (var('project_followup_months')),
   the percentage of the persons who ended whose follow-up is due (slutdato + N months on or
   before the extract date) and for whom `counts` holds (an expression over the columns of
   int_derive_exit_followups). Variant '<activity>, <N> mdr': the N are not parts of a total. #}
{% macro followup_share(indicator_id, counts) %}
with due as (
    select plan_id, activity_id, make_date(exit_year, 1, 1) as period_start, months_after,
           count(*) as persons_due,
           count(*) filter (where {{ counts }}) as persons_counted
    from {{ ref('int_derive_exit_followups') }}
    where is_due
    group by all
),
months as (
    select unnest({{ var('project_followup_months') }}) as months_after
)
{{ indicator_rows(indicator_id, 'activity_periods', 'due', keys=['plan_id', 'activity_id', 'period_start'],
                  variants='months', variant_keys=['months_after'],
                  variant="g.activity_id || ', ' || v.months_after || ' mdr'",
                  share=('persons_counted', 'persons_due', 'persons_counted', 'persons_due')) }}
{% endmacro %}
