-- rettidighed_samtaler: per complete quarter, meetings (Momentum samtale) whose Frist falls
-- in the quarter and that were held (seed samtale_status.er_afholdt) on or before the
-- Frist, in percent of all meetings whose Frist falls in the quarter, whatever their
-- status (Aflyst, Udeblevet and not yet held count in the denominator only). Counted in
-- the area where the person lives on the Frist day (the kommune always).
with quarters as (
    select min(period_start) as first_day, max(period_end) as last_day
    from {{ ref('int_generate_periods') }}
    where period_type = 'quarter'
),
meetings as (
    select
        m.person_key,
        m.frist,
        cast(date_trunc('quarter', m.frist) as date) as period_start,
        coalesce(st.er_afholdt and m.afholdt_dato <= m.frist, false) as is_on_time
    from {{ ref('stg_momentum__samtale') }} as m
    left join {{ ref('samtale_status') }} as st using (samtale_status)
    cross join quarters as q
    where m.frist between q.first_day and q.last_day
),
-- Where the person lives on the Frist day (afdeling, boligområde, helhedsplan) ...
located as (
    {{ areas_on_day('meetings', 'frist', kommune=false) }}
),
-- ... and the kommune, always: straight from the meetings, per person and quarter, without
-- locating them (most meetings are of persons living outside every afdeling).
kommune_persons as (
    select period_start, person_key,
           count(*) filter (where is_on_time) as meetings_on_time,
           count(*) as meetings
    from meetings
    group by all
),
-- per person first, so each person counts once without a count(distinct)
person_counts as (
    select p.period_start, 'kommune' as area_level, k.area_id, p.person_key, p.meetings_on_time, p.meetings
    from kommune_persons as p
    cross join ({{ kommune_area_ids() }}) as k
    union all
    select period_start, area_level, area_id, person_key,
           count(*) filter (where is_on_time) as meetings_on_time,
           count(*) as meetings
    from located
    group by all
),
counts as (
    select
        period_start,
        area_level,
        area_id,
        sum(meetings_on_time) as meetings_on_time,
        sum(meetings) as meetings,
        count(*) filter (where meetings_on_time > 0) as persons_on_time,
        count(*) as persons
    from person_counts
    group by all
)
{{ indicator_rows('rettidighed_samtaler', 'periods', 'counts', period_types=['quarter'],
                  share=('meetings_on_time', 'meetings', 'persons_on_time', 'persons')) }}
