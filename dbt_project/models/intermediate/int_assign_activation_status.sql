-- Persons with an activation tilbud (seed tilbudstyper.er_aktivering) covering a month end.
-- A view: since the month-end indicators count from intervals (issue 13) no model reads it;
-- it stays as the statement of the rule, tested, without a table written every night.
-- Read from the merged activation periods (int_merge_activation_periods: the days some
-- activation tilbud covers, touching and overlapping tilbud merged), which do not overlap
-- per person: one row per month end and person without a distinct over every tilbud.
{{ config(materialized='view') }}
select
    d.as_of_date,
    a.person_key
from {{ ref('int_generate_month_ends') }} as d
join {{ ref('int_merge_activation_periods') }} as a
    on d.as_of_date between a.aktivering_start and coalesce(a.aktivering_end, date '9999-12-31')
