{#
  Periods of a legacy source (`left`, e.g. Opera) that Momentum (`right`) does not
  supersede (sources.md: where both cover the same days, Momentum wins). A person's
  history in Momentum starts on their first day there; from that day on the legacy
  source has nothing to say about them. And an extract knows nothing after its own
  extract date, so an open legacy period ends there at the latest.
  Output: the columns of `left` with `end_col` clipped, plus `end_was_cut` (the period
  did not really end on that day, so its Afslutningsårsag does not apply).
#}
{% macro keep_before_successor(left, right, start_col, end_col, right_start) %}
with first_day as (
    select person_key, min({{ right_start }}) as first_day from {{ right }} group by person_key
),
clipped as (
    select
        l.*,
        least(coalesce(l.{{ end_col }}, date '9999-12-31'),
              coalesce(f.first_day - 1, date '9999-12-31'),
              l.extract_date) as _new_end
    from {{ left }} as l
    left join first_day as f using (person_key)
)
select
    * exclude ({{ end_col }}, _new_end),
    _new_end as {{ end_col }},
    _new_end < coalesce({{ end_col }}, date '9999-12-31') as end_was_cut
from clipped
where {{ start_col }} <= _new_end
{% endmacro %}
