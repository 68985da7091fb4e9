"""Pages of the programmes app, one module per area: providers, programme design (programmes, rules,
content framework, components and online courses) and delivery (cohorts, groups, sessions, timetable)."""
