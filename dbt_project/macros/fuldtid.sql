{#
  Building blocks of the fuldtidsperson indicators (fuldtidspersoner, aktiveringsgrad
  fuldtid): Σ over persons of days in a state within a period, by overlap arithmetic on
  periods (never one row per day).

  A "piece" is a period (from_date, to_date; null = open) in which one person is in the
  state, with the split `columns` (e.g. maalgruppe_code) describing the state.
#}

{# Pieces at every area level they count in (docs/indicators.md): `resident` pieces (with
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

{# Per period (int_generate_periods, of `period_types`: complete, and running up to its
   period_end = data_through), area and `columns`:
   days = Σ of the days each piece has inside the period (greatest start … least end,
   both inclusive), persons = distinct persons with at least one such day; a row for every
   (period, area, `columns`) that some piece overlaps, none where no piece does.
   The pieces of one person, area and `columns` must not overlap (every caller's pieces
   come from non-overlapping spells, stays and merged tilbud).

   Running sums over period boundaries (issue 13), never a row per piece and period: per
   period type, a piece adds 1 from the period holding its first day (the first period when
   it starts earlier) and takes it away after the period holding its last day; the running
   sum over the periods is the number of pieces overlapping each period. Then
     days    = overlapping × period_days − Σ (first day − period_start) of the pieces that
               start inside the period − Σ (period_end − last day) of those that end inside it;
     persons = overlapping − the gaps between two consecutive pieces of one person that lie
               wholly inside the period (a person's overlapping pieces are consecutive: k of
               them have k − 1 such gaps between them, so each person counts once).
   Starts, ends and gaps are first counted per day, so every later step is on a few
   thousand days per area, not on pieces. #}
{% macro fuldtid_days(pieces, columns=[], period_types=['month', 'quarter', 'year']) %}
    {%- set grp = ['area_level', 'area_id'] + columns -%}
    {%- set g = grp | join(', ') -%}
    {%- set xg %}{% for c in grp %}x.{{ c }}, {% endfor %}{% endset -%}
    with _periods as (
        select period_type, period_start, period_end, period_days,
               min(period_start) over (partition by period_type) as first_start,
               max(period_start) over (partition by period_type) as last_start
        from {{ ref('int_generate_periods') }}
        where period_type in ({% for t in period_types %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %})
    ),
    _types as (
        select distinct period_type, first_start, last_start from _periods
    ),
    -- nothing after the last period's end counts: a running period ends on data_through,
    -- before the calendar end its starts and ends would otherwise be bucketed in (a piece
    -- going on past it is open there); no complete period ends after it, so theirs are unchanged
    _through as (
        select max(period_end) as through from _periods
    ),
    _clipped as (
        select x.person_key, {{ xg }}x.from_date,
               case when x.to_date <= t.through then x.to_date end as to_date
        from {{ pieces }} as x
        cross join _through as t
        where x.from_date <= t.through
    ),
    _linked as (
        select {{ xg }}x.from_date as a, x.to_date as b,
               lead(x.from_date) over (partition by x.person_key{% for c in grp %}, x.{{ c }}{% endfor %} order by x.from_date) as next_a
        from _clipped as x
    ),
    -- per area, `columns` and day: pieces starting, pieces ending, and gaps to the person's
    -- next piece starting that day, by the finest calendar period holding the whole gap
    _days as (
        select {{ g }}, day, sum(s) as s, sum(e) as e, sum(gm) as gm, sum(gq) as gq, sum(gy) as gy
        from (
            select {{ g }}, a as day, 1 as s, 0 as e, 0 as gm, 0 as gq, 0 as gy from _linked
            union all
            select {{ g }}, b, 0, 1, 0, 0, 0 from _linked where b is not null
            union all
            select {{ g }}, b, 0, 0,
                   cast(date_trunc('month', b) = date_trunc('month', next_a) as integer),
                   cast(date_trunc('quarter', b) = date_trunc('quarter', next_a) as integer),
                   1
            from _linked
            where next_a is not null and year(b) = year(next_a)
        )
        group by all
    ),
    _typed as (
        select d.*, t.period_type, t.first_start, t.last_start,
               cast(date_trunc(t.period_type, d.day) as date) as bucket
        from _days as d
        cross join _types as t
    ),
    _deltas as (
        select {{ g }}, period_type, period_start, sum(delta) as delta, sum(start_off) as start_off,
               sum(end_off) as end_off, sum(gaps) as gaps
        from (
            -- a start: +1 from its period (the first, when earlier)
            select {{ g }}, period_type, greatest(bucket, first_start) as period_start, s as delta,
                   case when bucket >= first_start then s * datediff('day', bucket, day) else 0 end as start_off,
                   0 as end_off, 0 as gaps
            from _typed
            where s > 0 and bucket <= last_start
            union all
            -- an end: -1 from the next period (the first, when earlier)
            select {{ g }}, period_type,
                   greatest(cast(bucket + case period_type when 'month' then interval 1 month
                                                           when 'quarter' then interval 3 month
                                                           else interval 1 year end as date), first_start),
                   -e, 0, 0, 0
            from _typed
            where e > 0 and bucket < last_start
            union all
            -- an end inside a period: the days after it; gaps inside a period
            select {{ g }}, t.period_type, t.bucket, 0, 0,
                   t.e * datediff('day', t.day, p.period_end),
                   case t.period_type when 'month' then t.gm when 'quarter' then t.gq else t.gy end
            from _typed as t
            join _periods as p on p.period_type = t.period_type and p.period_start = t.bucket
            where t.e > 0 or t.gy > 0
        )
        group by all
    ),
    _running as (
        select
            p.period_type, p.period_start, p.period_end, p.period_days,
            {% for c in grp %}k.{{ c }}, {% endfor %}
            sum(coalesce(d.delta, 0)) over (
                partition by {% for c in grp %}k.{{ c }}, {% endfor %}p.period_type
                order by p.period_start rows between unbounded preceding and current row) as overlapping,
            coalesce(d.start_off, 0) as start_off,
            coalesce(d.end_off, 0) as end_off,
            coalesce(d.gaps, 0) as gaps
        from (select distinct {{ g }} from _days) as k
        cross join _periods as p
        left join _deltas as d
            on {% for c in grp %}d.{{ c }} is not distinct from k.{{ c }} and {% endfor %}d.period_type = p.period_type
            and d.period_start = p.period_start
    )
    select
        period_type,
        period_start,
        period_end,
        {{ g }},
        cast(overlapping * period_days - start_off - end_off as hugeint) as days,
        cast(overlapping - gaps as bigint) as persons
    from _running
    where overlapping > 0
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
