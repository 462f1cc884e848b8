-- i_uddannelse_efter: of the persons who ended the activity in the year and whose
-- follow-up N months later is due, the percentage whose målgruppe spell closed with
-- 'Ordinær uddannelse' on a day in [slutdato, slutdato + N months] (int_derive_exit_followups).
{{ followup_share('i_uddannelse_efter', 'is_into_education') }}
