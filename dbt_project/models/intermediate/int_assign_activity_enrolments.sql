-- Roster enrolments assigned to the plan activities that read their roster (plans:
-- activities[].roster = the roster's file stem). A roster listed by two plans counts in
-- both; a roster no plan lists counts in none (a warning test on stg_roster__deltagere).
select
    a.plan_id,
    a.activity_id,
    r.person_key,
    r.startdato,
    r.slutdato,
    r.status_ved_afslutning
from {{ ref('stg_roster__deltagere') }} as r
join {{ ref('stg_plans__plan_activities') }} as a on a.roster = r.aktivitet
