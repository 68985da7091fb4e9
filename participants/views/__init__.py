"""Pages of the participants app, one module per area: the cohort roster with each participant's record and
the changes an admin makes to a place (roster.py), and bringing participants in from a spreadsheet
(imports.py)."""
