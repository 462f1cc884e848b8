-- selvforsoergende_efter: of the persons who ended the activity in the year and whose
-- follow-up N months later is due, the percentage with no målgruppe period (Momentum or
-- Opera) covering slutdato + N months; no jobcenter record at all counts as
-- selvforsørgende (int_derive_exit_followups).
{{ followup_share('selvforsoergende_efter', 'not is_on_support') }}
