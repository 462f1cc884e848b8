{#
  Events of a person on one day (a spell's start or end, a meeting's Frist) expanded to
  every area the person counts in on that day: the afdeling and boligområde where the
  person lives that day, each plan covering that boligområde, and the kommune (always,
  wherever the person lives). The same rule as int_assign_status_areas, for any day
  rather than month ends: one equality key plus a range per event, never person × days.
  `relation` needs person_key and `day_col`; its columns are kept, plus area_level and
  area_id.
  kommune=false: only the areas where the person lives that day (no row for an event of a
  person living elsewhere), for a caller that counts the kommune level from its events
  directly (one row per event and kommune_area_ids(); stays do not overlap, tested, so an
  event has at most one place).
#}
{% macro areas_on_day(relation, day_col, kommune=true) %}
with located as (
    select e.*, r.afdelingsnummer as _afdeling, r.boligomraade as _boligomraade
    from {{ relation }} as e
    {{ 'left join' if kommune else 'join' }} {{ ref('int_derive_residence_periods') }} as r
        on r.person_key = e.person_key
        and e.{{ day_col }} between r.bor_fra and coalesce(r.bor_til, date '9999-12-31')
),
-- Every area each place counts in: a place is a stay's (afdeling, boligområde), or none
-- (lives elsewhere). One join of the events to this small map, rather than a scan of the
-- events per area level.
_places as (
    select distinct afdelingsnummer, boligomraade from {{ ref('int_derive_residence_periods') }}
    union all
    select null, null
),
_area_grid as (
    select area_level, area_id, boligomraade
    from {{ ref('int_derive_area_grid') }}
    where area_level in ('helhedsplan', 'kommune')
),
_place_areas as (
    select afdelingsnummer, boligomraade, 'afdeling' as area_level, afdelingsnummer as area_id
    from _places where afdelingsnummer is not null
    union all
    select afdelingsnummer, boligomraade, 'boligomraade', boligomraade
    from _places where boligomraade is not null
    union all
    select p.afdelingsnummer, p.boligomraade, 'helhedsplan', g.area_id
    from _places as p join _area_grid as g on g.area_level = 'helhedsplan' and g.boligomraade = p.boligomraade
    {%- if kommune %}
    union all
    select p.afdelingsnummer, p.boligomraade, 'kommune', g.area_id
    from _places as p join _area_grid as g on g.area_level = 'kommune'
    {%- endif %}
)
select l.* exclude (_afdeling, _boligomraade), a.area_level, a.area_id
from located as l
join _place_areas as a
    on a.afdelingsnummer is not distinct from l._afdeling
    and a.boligomraade is not distinct from l._boligomraade
{% endmacro %}

{# The kommune's area ids (area_level 'kommune'): every person counts there, wherever they live. #}
{% macro kommune_area_ids() %}
    select area_id from {{ ref('int_derive_area_grid') }} where area_level = 'kommune'
{% endmacro %}
