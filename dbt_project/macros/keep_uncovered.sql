{#
  The days of a legacy source's periods (`left`, Opera) that no period of the current
  source (`right`, Momentum) covers, per person (docs/sources.md: where an Opera and a
  Momentum extract cover the same days, Momentum wins). The caller passes one kind of
  data per call (målgruppe, address or tilbud), so precedence is per person, per kind and
  per day: an Opera day in a gap between Momentum periods, after a Momentum period ended,
  or around a Momentum period inside a longer Opera one is kept.

  Piece arithmetic, never rows per day: the complement of the union of a person's Momentum
  periods is a handful of gaps per person (one sort of the periods: a gap follows each
  period the next one does not continue), and each Opera period is intersected with those
  gaps (a range join on person). An Opera period also
  ends at its own extract date at the latest: the extract knows nothing after it.

  Output: the columns of `left` with `start_col`/`end_col` replaced by the piece's bounds,
  plus `end_was_cut` (the piece ends before the period did: it did not really end on that
  day, so its Afslutningsårsag does not apply).
#}
{% macro keep_uncovered(left, right, start_col, end_col, right_start, right_end) %}
with _right_periods as (
    select person_key, {{ right_start }} as r_start, {{ right_end }} as r_end from {{ right }}
),
-- The complement of each person's islands, from one sort of the person's periods: before
-- the first period, after each period the next one does not continue (it starts after the
-- day after every period so far ended), and after the last. The same gaps as merging the
-- periods into islands (merge_contiguous) and taking what lies between them.
_ordered as (
    select
        person_key,
        r_start,
        max(coalesce(r_end, date '9999-12-31')) over (
            partition by person_key order by r_start, coalesce(r_end, date '9999-12-31')
            rows between unbounded preceding and current row
        ) as covered_to,
        lead(r_start) over (
            partition by person_key order by r_start, coalesce(r_end, date '9999-12-31')
        ) as next_start,
        row_number() over (
            partition by person_key order by r_start, coalesce(r_end, date '9999-12-31')
        ) as n
    from _right_periods
),
_gaps as (
    select person_key, date '0001-01-01' as gap_start, r_start - 1 as gap_end
    from _ordered
    where n = 1
    union all
    select person_key, covered_to + 1, next_start - 1
    from _ordered
    where next_start > covered_to + 1
    union all
    select person_key, covered_to + 1, date '9999-12-31'
    from _ordered
    where next_start is null and covered_to < date '9999-12-31'
),
_left as (
    select
        l.*,
        least(coalesce(l.{{ end_col }}, date '9999-12-31'), l.extract_date) as _clipped_end
    from {{ left }} as l
),
_pieces as (
    -- persons Momentum knows nothing of (for this kind): the whole period
    select l.*, l.{{ start_col }} as _piece_start, l._clipped_end as _piece_end
    from _left as l
    where not exists (select 1 from _right_periods as r where r.person_key = l.person_key)
    union all
    select l.*, greatest(l.{{ start_col }}, g.gap_start), least(l._clipped_end, g.gap_end)
    from _left as l
    join _gaps as g
      on g.person_key = l.person_key
     and g.gap_start <= l._clipped_end
     and g.gap_end >= l.{{ start_col }}
)
select
    * exclude ({{ start_col }}, {{ end_col }}, _clipped_end, _piece_start, _piece_end, _cut),
    _piece_start as {{ start_col }},
    _piece_end as {{ end_col }},
    _cut as end_was_cut
from (
    select *, _piece_end < coalesce({{ end_col }}, date '9999-12-31') as _cut
    from _pieces
    where _piece_start <= _piece_end
)
{% endmacro %}
