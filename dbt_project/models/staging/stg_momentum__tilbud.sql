select
    t.person_key,
    t.tilbud_id,
    t.tilbudstype,
    k.er_aktivering,
    t.start_date,
    t.end_date,
    t.timer_pr_uge,
    t.cvr_nummer,
    t.extract_date,
    t.source_row
from {{ source('momentum', 'tilbud') }} as t
left join {{ ref('tilbudstyper') }} as k using (tilbudstype)
