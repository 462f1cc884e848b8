select plan_id, activity_id, activity_name, roster
from {{ source('plans', 'plan_activities') }}
