select
    t.person_key,
    k.tilbudstype,
    k.er_aktivering,
    t.start_date,
    t.end_date,
    t.timer_pr_uge,
    t.extract_date,
    t.source_row
from {{ source('opera', 'aktivering') }} as t
left join {{ ref('tilbudstyper') }} as k on k.opera_tilbud_art = t.tilbud_art
