{#
  Building blocks of the fuldtidsperson indicators (fuldtidspersoner, aktiveringsgrad
  fuldtid): Σ over persons of days in a state within a period, by overlap arithmetic on
  periods (never one row per day).

  A "piece" is a period (from_date, to_date; null = open) in which one person is in the
  state, with the split `columns` (e.g. maalgruppe_code) describing the state.
#}

{# Pieces at every area level they count in (indicators.md): `resident` pieces (with
   afdelingsnummer, boligomraade: days lived in an afdeling) give afdeling, boligområde and
   helhedsplan rows; `everyone` pieces (all days, wherever the person lives) give the kommune
   row. Returns person_key, `columns`, area_level, area_id, from_date, to_date. #}
{% macro pieces_at_area_levels(resident, everyone, columns=[]) %}
    {%- set cols %}{% for c in columns %}x.{{ c }}, {% endfor %}{% endset -%}
    select x.person_key, {{ cols }}'afdeling' as area_level, x.afdelingsnummer as area_id, x.from_date, x.to_date
    from {{ resident }} as x
    union all
    select x.person_key, {{ cols }}'boligomraade', x.boligomraade, x.from_date, x.to_date
    from {{ resident }} as x
    union all
    select x.person_key, {{ cols }}'helhedsplan', g.plan_id, x.from_date, x.to_date
    from {{ resident }} as x
    join {{ ref('int_derive_area_grid') }} as g on g.area_level = 'helhedsplan' and g.boligomraade = x.boligomraade
    union all
    select x.person_key, {{ cols }}'kommune', g.area_id, x.from_date, x.to_date
    from {{ everyone }} as x
    cross join (select area_id from {{ ref('int_derive_area_grid') }} where area_level = 'kommune') as g
{% endmacro %}

{# Per complete period (int_generate_periods, of `period_types`), area and `columns`:
   days = Σ of the days each piece has inside the period (greatest start … least end,
   both inclusive), persons = distinct persons with at least one such day.
   The pieces of one person, area and `columns` must not overlap (every caller's pieces
   come from non-overlapping spells, stays and merged tilbud). Then the pieces of a person
   inside a period follow each other, and the first of them is the one whose predecessor
   ended before the period started: counting those counts each person once, without a
   count(distinct). Cost: one row per piece and period it overlaps. #}
{% macro fuldtid_days(pieces, columns=[], period_types=['month', 'quarter', 'year']) %}
    {%- set cols %}{% for c in columns %}x.{{ c }}, {% endfor %}{% endset -%}
    with numbered as (
        select
            x.*,
            coalesce(x.to_date, date '9999-12-31') as to_day,
            lag(coalesce(x.to_date, date '9999-12-31')) over (
                partition by x.person_key, x.area_level, x.area_id{% for c in columns %}, x.{{ c }}{% endfor %}
                order by x.from_date
            ) as previous_to_day
        from {{ pieces }} as x
    )
    select
        p.period_type,
        p.period_start,
        p.period_end,
        x.area_level,
        x.area_id,
        {{ cols }}
        sum(datediff('day', greatest(x.from_date, p.period_start), least(x.to_day, p.period_end)) + 1) as days,
        count(*) filter (where x.previous_to_day is null or x.previous_to_day < p.period_start) as persons
    from numbered as x
    join {{ ref('int_generate_periods') }} as p
        on x.from_date <= p.period_end
        and x.to_day >= p.period_start
    where p.period_type in ({% for t in period_types %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %})
    group by all
{% endmacro %}

{# The days a person's `pieces` (person_key, from_date, to_date; null = open) share with
   the person's `periods` (person_key, `start_col`, `end_col`; null = open): one piece per
   overlap, with the columns of `pieces` and the `columns` of `periods` (e.g. the afdeling
   of a stay). Pieces that do not overlap, cut by periods that do not overlap, still do
   not overlap, as fuldtid_days requires. #}
{% macro intersect_pieces(pieces, periods, start_col, end_col, columns=[]) %}
    select
        x.* exclude (from_date, to_date),
        {% for c in columns %}p.{{ c }}, {% endfor %}
        greatest(x.from_date, p.{{ start_col }}) as from_date,
        nullif(least(coalesce(x.to_date, date '9999-12-31'), coalesce(p.{{ end_col }}, date '9999-12-31')),
               date '9999-12-31') as to_date
    from {{ pieces }} as x
    join {{ periods }} as p
        on p.person_key = x.person_key
        and p.{{ start_col }} <= coalesce(x.to_date, date '9999-12-31')
        and x.from_date <= coalesce(p.{{ end_col }}, date '9999-12-31')
{% endmacro %}
