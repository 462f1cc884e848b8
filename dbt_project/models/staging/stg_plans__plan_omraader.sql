select plan_id, boligomraade
from {{ source('plans', 'plan_omraader') }}
