-- Persons with an activation tilbud (seed tilbudstyper.er_aktivering) covering a month end.
-- A view: since the month-end indicators count from intervals (issue 13) no model reads it;
-- it stays as the statement of the rule, tested, without a table written every night.
{{ config(materialized='view') }}
select distinct
    d.as_of_date,
    t.person_key
from {{ ref('int_generate_month_ends') }} as d
join {{ ref('int_combine_tilbud_periods') }} as t
    on t.er_aktivering
    and d.as_of_date between t.start_date and coalesce(t.end_date, date '9999-12-31')
