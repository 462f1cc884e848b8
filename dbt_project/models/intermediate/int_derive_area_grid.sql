-- Every area at every level: afdeling, boligområde, helhedsplan (a plan's areas) and
-- kommune (every citizen in the extract, under the extract's kommunekode).
with register as (
    select distinct afdelingsnummer, boligomraade from {{ ref('stg_omraader__adresser') }}
),
kommune as (
    select mode(kommunekode) as kommunekode from {{ ref('stg_momentum__borger_adresse') }}
)
select 'afdeling' as area_level, afdelingsnummer as area_id, afdelingsnummer, boligomraade, null as plan_id
from register
union all
select distinct 'boligomraade', boligomraade, null, boligomraade, null from register
union all
select distinct 'helhedsplan', plan_id, null, boligomraade, plan_id from {{ ref('stg_plans__plan_omraader') }}
union all
select 'kommune', kommunekode, null, null, null from kommune
