{#
  Persons counted at each month end, from intervals of counted days instead of rows per
  person and month end (issue 13: running sums over period boundaries). `intervals` has
  area_level, area_id, the `keys`, `from_col` and `to_col` (default count_from and count_to; null: open). An interval adds 1
  at the first month end on or after count_from (at the first month end of
  int_generate_month_ends if it starts earlier) and takes it away at the first month end
  after count_to; the running sum over the month ends is, at each month end D, the number of
  intervals covering D. That is the number of persons when a person has at most one
  interval per area and key covering any day (spells of a person do not overlap, nor do
  stays). Returns as_of_date, area_level, area_id, the keys and persons (BIGINT) for every
  month end and every (area, keys) that has an interval, zeros included.
#}
{% macro month_end_counts(intervals, keys=[], from_col='count_from', to_col='count_to') %}
{%- set part = ['area_level', 'area_id'] + keys -%}
{%- set cols = part | join(', ') -%}
with _bounds as (
    select min(as_of_date) as first_me, max(as_of_date) as last_me from {{ ref('int_generate_month_ends') }}
),
_iv as (
    -- _first: the first month end covered; _after: the first month end after the interval
    select {{ cols }}, last_day({{ from_col }}) as _first, last_day({{ to_col }} + 1) as _after
    from {{ intervals }}
),
_live as (
    -- intervals covering at least one month end of the window
    select _iv.*, b.first_me, b.last_me
    from _iv, _bounds as b
    where _first <= b.last_me and (_after is null or (_first < _after and _after > b.first_me))
),
_deltas as (
    select {{ cols }}, as_of_date, sum(delta) as delta
    from (
        select {{ cols }}, greatest(_first, first_me) as as_of_date, 1 as delta from _live
        union all
        select {{ cols }}, _after, -1 from _live where _after <= last_me
    )
    group by all
),
_grid as (
    select {% for k in part %}g.{{ k }}, {% endfor %}m.as_of_date
    from (select distinct {{ cols }} from _iv) as g
    cross join {{ ref('int_generate_month_ends') }} as m
)
select
    _grid.as_of_date,
    {% for k in part %}_grid.{{ k }},
    {% endfor -%}
    cast(sum(coalesce(d.delta, 0)) over (
        partition by {% for k in part %}_grid.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}
        order by _grid.as_of_date rows between unbounded preceding and current row) as bigint) as persons
from _grid
left join _deltas as d
    on {% for k in part %}d.{{ k }} = _grid.{{ k }} and {% endfor %}d.as_of_date = _grid.as_of_date
{% endmacro %}
