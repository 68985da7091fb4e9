"""Engagement and eligibility, worked out in one set-based SQL statement for any number of places.

The rule (docs/adr/0004-engagement.md has the reasons):

- Each component of the programme is evidenced one way (`EVIDENCE`): by attendance at its sessions (a
  session and its repeats are one piece of content: attending either counts once), by core online tasks,
  by logged self-directed hours, by logged coaching, or by a provider admin recording it done. A component
  recorded done (ComponentCompletion) is credited in full, whatever its kind.
- Planned hours are the component's guided learning hours; where none are published, a timetabled
  component's planned hours are the length of its sessions, and any other counts for nothing.
- Credited hours: attendance credits the planned hours in proportion to the content attended; tasks in
  proportion to the core tasks done; logs the hours logged, up to the planned hours.
- Engagement % = credited ÷ planned hours, over the components that count toward engagement.
  **To date**: credited ÷ hours due so far (sessions whose every run has ended or that were attended, and
  self-paced hours in proportion to how much of the cohort has passed; being ahead on self-paced work
  does not hide sessions missed). **Maximum still possible**: credited plus everything still to come
  (sessions not yet over; self-paced work until the cohort ends) ÷ planned hours.
- Eligible when the engagement % meets the threshold with the programme's comparison ("at least" or "more
  than", compared to two decimals, half up, as shown), every core task is complete, and every required
  component that the engagement hours do not measure (it does not count toward engagement, or it has no
  planned hours) is done.
- At risk (started places only, active or deferred) when the maximum still possible cannot meet the
  threshold, or the to-date figure is more than the programme's margin below the threshold. (The deadline
  rule is in participants/standing.py: it needs each place's deadline.)

Recomputing is idempotent (an upsert of the same numbers). Changes mark their cohort in EngagementQueue in
the same transaction; after commit one background job per cohort recomputes it, however many changes came.

The recompute reads what each place has done toward each component from its evidence tally (EvidenceTally),
not from the records: there are millions of attendance marks. Recomputing a cohort (the queued job) or some
places counts their tallies again from the records first; recomputing every place (the nightly job, as time
passing changes what is due) counts again the tallies of the cohorts still queued and trusts the rest. A place
with no evidence for a component gets the figures every place of its group gets, worked out once per group.
`engagement_measure` works one place out afresh from its records, with each component's part.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from npqel.jobs import enqueue
from participants.models import EngagementQueue

# How long a burst of changes to one cohort is gathered before its engagement is recomputed.
COALESCE_SECONDS = 5
# A queued cohort still waiting after this long (its job was lost: Redis down, worker killed) is re-queued.
SWEEP_AFTER = datetime.timedelta(minutes=2)


class Evidence:
    ATTENDANCE = "attendance"
    TASKS = "tasks"
    LEARNING_LOG = "learning_log"
    COACHING_LOG = "coaching_log"
    COMPLETION = "completion"


EVIDENCE_LABELS = {
    Evidence.ATTENDANCE: "Attendance at its sessions",
    Evidence.TASKS: "Core tasks completed",
    Evidence.LEARNING_LOG: "Self-directed hours logged",
    Evidence.COACHING_LOG: "Coaching sessions logged by your coach",
    Evidence.COMPLETION: "Recorded as done by your provider",
}

# How each component is evidenced, by its kind and mode: the Python and SQL forms of one rule.
EVIDENCE_SQL = """
    CASE
        WHEN c.kind = 'online_course' THEN 'tasks'
        WHEN c.kind = 'self_directed' THEN 'learning_log'
        WHEN c.kind = 'coaching' THEN 'coaching_log'
        WHEN c.mode IN ('in_person', 'online_live') THEN 'attendance'
        ELSE 'completion'
    END"""


def evidence_of(kind: str, mode: str) -> str:
    """How a component of this kind and mode is evidenced (EVIDENCE_SQL says the same)."""
    if kind == "online_course":
        return Evidence.TASKS
    if kind == "self_directed":
        return Evidence.LEARNING_LOG
    if kind == "coaching":
        return Evidence.COACHING_LOG
    if mode in ("in_person", "online_live"):
        return Evidence.ATTENDANCE
    return Evidence.COMPLETION


# The few expressions PostgreSQL and SQLite (the no-services `make run`) write differently.
DIALECT = {
    "postgresql": {
        "today": "CAST(%(today)s AS DATE)",
        "days": "({later} - {earlier})",
        "session_hours": "(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 3600.0)",
    },
    "sqlite": {
        "today": "%(today)s",
        "days": "(julianday({later}) - julianday({earlier}))",
        "session_hours": "((julianday(s.ends_at) - julianday(s.starts_at)) * 24.0)",
    },
}

# Both ways of measuring start here: the places, and what their cohort's timetable holds for each group.
HEAD = """
WITH places AS (
    SELECT e.id AS enrolment_id, e.cohort_id, COALESCE(e.group_id, 0) AS group_key, e.status,
           co.programme_id,
           CASE WHEN {today} <= co.end_date THEN 1 ELSE 0 END AS still_open,
           CASE
               WHEN {today} <= co.start_date THEN 0
               WHEN {today} >= co.end_date THEN {cohort_days}
               ELSE {elapsed_days}
           END AS elapsed_days,
           {cohort_days} AS cohort_days
    FROM participants_enrolment e
    JOIN programmes_cohort co ON co.id = e.cohort_id
    WHERE {scope}
),
place_groups AS (
    SELECT DISTINCT cohort_id, group_key, programme_id, still_open, elapsed_days, cohort_days FROM places
),
contents AS (
    -- What each group of a cohort is timetabled for (group 0: places in no group): the cohort's sessions
    -- and the group's own. A session and its repeats are one piece of content, over when its last run is.
    SELECT g.cohort_id, g.group_key, s.component_id, COALESCE(s.repeat_of_id, s.id) AS content,
           MAX(s.ends_at) AS last_ends, MAX({session_hours}) AS hours
    FROM place_groups g
    JOIN programmes_session s
      ON s.cohort_id = g.cohort_id AND (s.group_id IS NULL OR s.group_id = g.group_key)
    GROUP BY g.cohort_id, g.group_key, s.component_id, COALESCE(s.repeat_of_id, s.id)
),
timetable AS (
    SELECT cohort_id, group_key, component_id,
           COUNT(*) AS contents, SUM(hours) AS hours,
           SUM(CASE WHEN last_ends <= %(now)s THEN 1 ELSE 0 END) AS ended_contents,
           SUM(CASE WHEN last_ends <= %(now)s THEN hours ELSE 0 END) AS ended_hours
    FROM contents
    GROUP BY cohort_id, group_key, component_id
),
"""

# What each place has done, counted from its records (attendance, task completions, logs).
RECORDS = """
attended_contents AS (
    -- Present or late at a session or any of its repeats: the content counts once.
    SELECT DISTINCT a.enrolment_id, COALESCE(s.repeat_of_id, s.id) AS content
    FROM participants_attendance a
    JOIN places p ON p.enrolment_id = a.enrolment_id
    JOIN programmes_session s ON s.id = a.session_id
    WHERE a.status IN ('present', 'late')
),
attended AS (
    -- Only content on the place's own timetable counts (not a session of a group they have left).
    SELECT p.enrolment_id, c.component_id,
           COUNT(*) AS contents, SUM(c.hours) AS hours,
           SUM(CASE WHEN c.last_ends > %(now)s THEN 1 ELSE 0 END) AS open_contents,
           SUM(CASE WHEN c.last_ends > %(now)s THEN c.hours ELSE 0 END) AS open_hours
    FROM attended_contents x
    JOIN places p ON p.enrolment_id = x.enrolment_id
    JOIN contents c ON c.cohort_id = p.cohort_id AND c.group_key = p.group_key AND c.content = x.content
    GROUP BY p.enrolment_id, c.component_id
),
core_tasks AS (
    SELECT p.enrolment_id, m.course_id AS component_id,
           COUNT(t.id) AS total, COUNT(tc.id) AS done
    FROM places p
    JOIN programmes_component c ON c.programme_id = p.programme_id AND c.kind = 'online_course'
    JOIN programmes_module m ON m.course_id = c.id
    JOIN programmes_task t ON t.module_id = m.id AND t.core
    LEFT JOIN participants_taskcompletion tc ON tc.task_id = t.id AND tc.enrolment_id = p.enrolment_id
    GROUP BY p.enrolment_id, m.course_id
),
logs AS (
    SELECT enrolment_id, component_id, SUM(hours) AS hours FROM (
        SELECT l.enrolment_id, l.component_id, l.hours * 1.0 AS hours
        FROM participants_learninglog l JOIN places p ON p.enrolment_id = l.enrolment_id
        UNION ALL
        SELECT k.enrolment_id, k.component_id, k.minutes / 60.0 AS hours
        FROM participants_coachingsession k JOIN places p ON p.enrolment_id = k.enrolment_id
    ) AS logged
    GROUP BY enrolment_id, component_id
),
"""

# Fresh from the records: every component of each place's programme, with its evidence.
FRESH = """
inputs AS (
    SELECT p.enrolment_id, p.status, p.programme_id, p.still_open, p.elapsed_days, p.cohort_days,
           c.id AS component_id, c.counts_toward_engagement AS counts, c.required,
           {evidence} AS evidence,
           c.guided_learning_hours AS glh,
           CASE WHEN cc.id IS NULL THEN 0 ELSE 1 END AS recorded_done,
           -- Attendance is measured in pieces of content where hours are published, else in hours.
           CASE WHEN c.guided_learning_hours IS NULL THEN COALESCE(tt.hours, 0)
                ELSE COALESCE(tt.contents, 0) END AS units,
           CASE WHEN c.guided_learning_hours IS NULL THEN COALESCE(tt.ended_hours, 0)
                ELSE COALESCE(tt.ended_contents, 0) END AS units_ended,
           CASE WHEN c.guided_learning_hours IS NULL THEN COALESCE(att.hours, 0)
                ELSE COALESCE(att.contents, 0) END AS units_attended,
           CASE WHEN c.guided_learning_hours IS NULL THEN COALESCE(att.open_hours, 0)
                ELSE COALESCE(att.open_contents, 0) END AS units_attended_open,
           COALESCE(tt.contents, 0) AS sessions_timetabled,
           COALESCE(tt.ended_contents, 0) AS sessions_over,
           COALESCE(att.contents, 0) AS sessions_attended,
           COALESCE(ct.total, 0) AS core_total,
           COALESCE(ct.done, 0) AS core_done,
           COALESCE(lg.hours, 0) AS logged_hours
    FROM places p
    JOIN programmes_component c ON c.programme_id = p.programme_id
    LEFT JOIN timetable tt
      ON tt.cohort_id = p.cohort_id AND tt.group_key = p.group_key AND tt.component_id = c.id
    LEFT JOIN attended att ON att.enrolment_id = p.enrolment_id AND att.component_id = c.id
    LEFT JOIN core_tasks ct ON ct.enrolment_id = p.enrolment_id AND ct.component_id = c.id
    LEFT JOIN logs lg ON lg.enrolment_id = p.enrolment_id AND lg.component_id = c.id
    LEFT JOIN participants_componentcompletion cc
      ON cc.enrolment_id = p.enrolment_id AND cc.component_id = c.id
),
planned AS (
    SELECT i.*,
           CASE WHEN i.glh IS NOT NULL THEN i.glh * 1.0
                WHEN i.evidence = 'attendance' THEN ROUND(i.units * 1.0, 4)
                ELSE 0 END AS planned_hours
    FROM inputs i
),
"""

# The rule, one row per place and component (`planned` gives the rows). Materialized: each figure below is
# used several times, and PostgreSQL would otherwise work each one out again wherever it is used.
RULE = """
parts AS MATERIALIZED (
    SELECT q.*,
           CASE
               WHEN q.recorded_done = 1 THEN q.planned_hours
               WHEN q.evidence = 'attendance' THEN
                   CASE WHEN q.units > 0 THEN ROUND(q.planned_hours * q.units_attended / q.units, 4) ELSE 0 END
               WHEN q.evidence = 'tasks' THEN
                   CASE WHEN q.core_total > 0 THEN ROUND(q.planned_hours * q.core_done / q.core_total, 4)
                        ELSE 0 END
               WHEN q.evidence IN ('learning_log', 'coaching_log') THEN
                   CASE WHEN ROUND(q.logged_hours, 4) < q.planned_hours THEN ROUND(q.logged_hours, 4)
                        ELSE q.planned_hours END
               ELSE 0
           END AS credited_hours,
           CASE
               WHEN q.evidence = 'attendance' THEN
                   CASE WHEN q.units > 0
                        THEN ROUND(q.planned_hours * (q.units_ended + q.units_attended_open) / q.units, 4)
                        ELSE 0 END
               WHEN q.cohort_days > 0 THEN ROUND(q.planned_hours * q.elapsed_days / q.cohort_days, 4)
               ELSE q.planned_hours
           END AS due_hours,
           CASE
               WHEN q.evidence = 'attendance' AND q.units > 0 THEN
                   ROUND(q.planned_hours * (q.units - q.units_ended + q.units_attended - q.units_attended_open)
                         / q.units, 4)
               WHEN q.still_open = 1 THEN q.planned_hours
               ELSE -1
           END AS open_possible_hours,
           CASE
               WHEN q.recorded_done = 1 THEN 1
               WHEN q.evidence = 'attendance' THEN
                   CASE WHEN q.units > 0 AND q.units_attended >= q.units THEN 1 ELSE 0 END
               WHEN q.evidence = 'tasks' THEN
                   CASE WHEN q.core_total > 0 AND q.core_done >= q.core_total THEN 1 ELSE 0 END
               WHEN q.evidence IN ('learning_log', 'coaching_log') THEN
                   CASE WHEN q.planned_hours > 0 AND q.logged_hours >= q.planned_hours THEN 1
                        WHEN q.planned_hours = 0 AND q.logged_hours > 0 THEN 1 ELSE 0 END
               ELSE 0
           END AS done
    FROM planned q
),
measured AS (
    SELECT r.*,
           CASE WHEN r.recorded_done = 1 THEN r.planned_hours
                WHEN r.open_possible_hours < 0 THEN r.credited_hours
                WHEN r.open_possible_hours < r.credited_hours THEN r.credited_hours
                ELSE r.open_possible_hours END AS possible_hours,
           CASE WHEN r.credited_hours < r.due_hours THEN r.credited_hours ELSE r.due_hours END
               AS credited_due_hours,
           CASE WHEN r.counts AND r.planned_hours > 0 THEN 1 ELSE 0 END AS counted
    FROM parts r
),
"""

FRESH_TOTALS = """
totals AS (
    SELECT p.enrolment_id, p.status, p.programme_id,
           COALESCE(SUM(CASE WHEN m.counted = 1 THEN m.planned_hours ELSE 0 END), 0) AS planned_hours,
           COALESCE(SUM(CASE WHEN m.counted = 1 THEN m.credited_hours ELSE 0 END), 0) AS credited_hours,
           COALESCE(SUM(CASE WHEN m.counted = 1 THEN m.due_hours ELSE 0 END), 0) AS due_hours,
           COALESCE(SUM(CASE WHEN m.counted = 1 THEN m.credited_due_hours ELSE 0 END), 0) AS credited_due_hours,
           COALESCE(SUM(CASE WHEN m.counted = 1 THEN m.possible_hours ELSE 0 END), 0) AS possible_hours,
           COALESCE(SUM(CASE WHEN m.evidence = 'tasks' THEN m.core_done ELSE 0 END), 0) AS core_tasks_done,
           COALESCE(SUM(CASE WHEN m.evidence = 'tasks' THEN m.core_total ELSE 0 END), 0) AS core_tasks_total,
           COALESCE(SUM(CASE WHEN m.required AND m.counted = 0 AND m.done = 0 THEN 1 ELSE 0 END), 0)
               AS required_missing
    FROM places p
    LEFT JOIN measured m ON m.enrolment_id = p.enrolment_id
    GROUP BY p.enrolment_id, p.status, p.programme_id
),
"""

# From the stored tallies (EvidenceTally): a component a place has no evidence for gives every place of its
# cohort and group the same figures (nothing credited or done; due and still possible as the timetable and
# the calendar say), worked out once per group; the rule runs only on the rows with evidence, and the
# totals are the group's figures plus what each place's evidence adds to them.
STORED = """
course_tasks AS (
    SELECT m.course_id AS component_id, COUNT(*) AS total
    FROM programmes_module m JOIN programmes_task t ON t.module_id = m.id AND t.core
    GROUP BY m.course_id
),
frames AS (
    SELECT g.cohort_id, g.group_key, g.still_open, g.elapsed_days, g.cohort_days,
           c.id AS component_id, c.counts_toward_engagement AS counts, c.required,
           {evidence} AS evidence,
           c.guided_learning_hours AS glh,
           CASE WHEN c.guided_learning_hours IS NULL THEN COALESCE(tt.hours, 0)
                ELSE COALESCE(tt.contents, 0) END AS units,
           CASE WHEN c.guided_learning_hours IS NULL THEN COALESCE(tt.ended_hours, 0)
                ELSE COALESCE(tt.ended_contents, 0) END AS units_ended,
           COALESCE(tt.contents, 0) AS sessions_timetabled,
           COALESCE(tt.ended_contents, 0) AS sessions_over,
           CASE WHEN c.kind = 'online_course' THEN COALESCE(ct.total, 0) ELSE 0 END AS core_total
    FROM place_groups g
    JOIN programmes_component c ON c.programme_id = g.programme_id
    LEFT JOIN timetable tt
      ON tt.cohort_id = g.cohort_id AND tt.group_key = g.group_key AND tt.component_id = c.id
    LEFT JOIN course_tasks ct ON ct.component_id = c.id
),
frames_planned AS (
    SELECT f.*,
           CASE WHEN f.glh IS NOT NULL THEN f.glh * 1.0
                WHEN f.evidence = 'attendance' THEN ROUND(f.units * 1.0, 4)
                ELSE 0 END AS planned_hours
    FROM frames f
),
defaults AS MATERIALIZED (
    SELECT q.*,
           CASE WHEN q.counts AND q.planned_hours > 0 THEN 1 ELSE 0 END AS counted_default,
           CASE
               WHEN q.evidence = 'attendance' THEN
                   CASE WHEN q.units > 0 THEN ROUND(q.planned_hours * q.units_ended / q.units, 4) ELSE 0 END
               WHEN q.cohort_days > 0 THEN ROUND(q.planned_hours * q.elapsed_days / q.cohort_days, 4)
               ELSE q.planned_hours
           END AS due_default,
           CASE
               WHEN q.evidence = 'attendance' AND q.units > 0 THEN
                   ROUND(q.planned_hours * (q.units - q.units_ended) / q.units, 4)
               WHEN q.still_open = 1 THEN q.planned_hours
               ELSE 0
           END AS possible_default
    FROM frames_planned q
),
group_totals AS (
    SELECT cohort_id, group_key,
           SUM(CASE WHEN counted_default = 1 THEN planned_hours ELSE 0 END) AS planned_hours,
           SUM(CASE WHEN counted_default = 1 THEN due_default ELSE 0 END) AS due_hours,
           SUM(CASE WHEN counted_default = 1 THEN possible_default ELSE 0 END) AS possible_hours,
           SUM(CASE WHEN evidence = 'tasks' THEN core_total ELSE 0 END) AS core_tasks_total,
           SUM(CASE WHEN required AND counted_default = 0 THEN 1 ELSE 0 END) AS required_missing
    FROM defaults
    GROUP BY cohort_id, group_key
),
open_attended AS (
    -- Content attended that is not over yet (a later repeat still to run): few places have any. Its sessions
    -- are listed first (_open_sessions), so that their marks are found by the session's index.
    SELECT x.enrolment_id, c.component_id, COUNT(*) AS contents, SUM(c.hours) AS hours
    FROM (
        SELECT DISTINCT a.enrolment_id, COALESCE(s.repeat_of_id, s.id) AS content
        FROM participants_attendance a
        JOIN programmes_session s ON s.id = a.session_id
        WHERE a.session_id IN ({open_sessions}) AND a.status IN ('present', 'late')
    ) x
    JOIN places p ON p.enrolment_id = x.enrolment_id
    JOIN contents c ON c.cohort_id = p.cohort_id AND c.group_key = p.group_key AND c.content = x.content
    WHERE c.last_ends > %(now)s
    GROUP BY x.enrolment_id, c.component_id
),
planned AS (
    SELECT p.enrolment_id, p.status, d.*,
           CASE WHEN v.recorded_done THEN 1 ELSE 0 END AS recorded_done,
           CASE WHEN d.glh IS NULL THEN v.hours_attended ELSE v.contents_attended END AS units_attended,
           CASE WHEN d.glh IS NULL THEN COALESCE(o.hours, 0)
                ELSE COALESCE(o.contents, 0) END AS units_attended_open,
           v.contents_attended AS sessions_attended,
           v.core_tasks_done AS core_done,
           v.hours_logged AS logged_hours
    FROM participants_evidencetally v
    JOIN places p ON p.enrolment_id = v.enrolment_id
    JOIN defaults d
      ON d.cohort_id = p.cohort_id AND d.group_key = p.group_key AND d.component_id = v.component_id
    LEFT JOIN open_attended o ON o.enrolment_id = v.enrolment_id AND o.component_id = v.component_id
),
"""

STORED_TOTALS = """
evidenced AS (
    -- What each place's evidence changes from its group's figures.
    SELECT enrolment_id,
           SUM(CASE WHEN counted = 1 THEN credited_hours ELSE 0 END) AS credited_hours,
           SUM(CASE WHEN counted = 1 THEN due_hours - due_default ELSE 0 END) AS due_more,
           SUM(CASE WHEN counted = 1 THEN credited_due_hours ELSE 0 END) AS credited_due_hours,
           SUM(CASE WHEN counted = 1 THEN possible_hours - possible_default ELSE 0 END) AS possible_more,
           SUM(CASE WHEN evidence = 'tasks' THEN core_done ELSE 0 END) AS core_tasks_done,
           SUM(CASE WHEN required AND counted = 0 AND done = 1 THEN 1 ELSE 0 END) AS required_done
    FROM measured
    GROUP BY enrolment_id
),
totals AS (
    SELECT p.enrolment_id, p.status, p.programme_id,
           COALESCE(g.planned_hours, 0) AS planned_hours,
           COALESCE(x.credited_hours, 0) AS credited_hours,
           COALESCE(g.due_hours, 0) + COALESCE(x.due_more, 0) AS due_hours,
           COALESCE(x.credited_due_hours, 0) AS credited_due_hours,
           COALESCE(g.possible_hours, 0) + COALESCE(x.possible_more, 0) AS possible_hours,
           COALESCE(x.core_tasks_done, 0) AS core_tasks_done,
           COALESCE(g.core_tasks_total, 0) AS core_tasks_total,
           COALESCE(g.required_missing, 0) - COALESCE(x.required_done, 0) AS required_missing
    FROM places p
    LEFT JOIN group_totals g ON g.cohort_id = p.cohort_id AND g.group_key = p.group_key
    LEFT JOIN evidenced x ON x.enrolment_id = p.enrolment_id
),
"""

# Counting the tallies again from the records, for the places in scope.
TALLIES = """
found AS (
    SELECT enrolment_id, component_id, contents AS contents_attended, hours AS hours_attended,
           0 AS core_tasks_done, 0 AS hours_logged, 0 AS recorded_done
    FROM attended
    UNION ALL
    SELECT enrolment_id, component_id, 0, 0, done, 0, 0 FROM core_tasks WHERE done > 0
    UNION ALL
    SELECT enrolment_id, component_id, 0, 0, 0, hours, 0 FROM logs
    UNION ALL
    SELECT cc.enrolment_id, cc.component_id, 0, 0, 0, 0, 1
    FROM participants_componentcompletion cc JOIN places p ON p.enrolment_id = cc.enrolment_id
)
"""

RESULTS = """
percents AS (
    SELECT t.*, pr.engagement_threshold AS threshold, pr.engagement_comparison AS comparison,
           pr.at_risk_margin AS margin,
           CASE WHEN t.planned_hours > 0 THEN ROUND(t.credited_hours * 100.0 / t.planned_hours, 2) END
               AS percent,
           CASE WHEN t.due_hours > 0 THEN ROUND(t.credited_due_hours * 100.0 / t.due_hours, 2) END
               AS to_date_percent,
           CASE WHEN t.planned_hours > 0 THEN ROUND(t.possible_hours * 100.0 / t.planned_hours, 2) END
               AS max_percent
    FROM totals t
    JOIN programmes_programme pr ON pr.id = t.programme_id
),
results AS (
    SELECT x.*,
           CASE WHEN x.percent IS NOT NULL AND (
                    (x.comparison = 'at_least' AND x.percent >= x.threshold)
                    OR (x.comparison = 'more_than' AND x.percent > x.threshold))
                THEN 1 ELSE 0 END AS meets_threshold,
           CASE WHEN x.max_percent IS NOT NULL AND NOT (
                    (x.comparison = 'at_least' AND x.max_percent >= x.threshold)
                    OR (x.comparison = 'more_than' AND x.max_percent > x.threshold))
                THEN 1 ELSE 0 END AS cannot_reach,
           CASE WHEN x.to_date_percent IS NOT NULL AND x.to_date_percent < x.threshold - x.margin
                THEN 1 ELSE 0 END AS lagging
    FROM percents x
)
"""

FRESH_CTES = HEAD + RECORDS + FRESH + RULE + FRESH_TOTALS + RESULTS
STORED_CTES = HEAD + STORED + RULE + STORED_TOTALS + RESULTS
TALLY_CTES = HEAD + RECORDS + TALLIES

COLUMNS = (
    "planned_hours",
    "credited_hours",
    "due_hours",
    "credited_due_hours",
    "possible_hours",
    "percent",
    "to_date_percent",
    "max_percent",
    "core_tasks_done",
    "core_tasks_total",
    "required_missing",
)

# The SQL is built from constants only (column names above); every value is a bound parameter.
RECOMPUTE = (  # noqa: S608
    "INSERT INTO participants_engagement (enrolment_id, {columns}, meets_threshold, eligible, at_risk, "
    "computed_at) "
    "SELECT enrolment_id, {columns}, meets_threshold = 1, "
    "meets_threshold = 1 AND core_tasks_done >= core_tasks_total AND required_missing = 0, "
    "status IN ('active', 'deferred') AND (cannot_reach = 1 OR lagging = 1), %(now)s "
    "FROM results WHERE 1 = 1 "
    "ON CONFLICT (enrolment_id) DO UPDATE SET {updates}, meets_threshold = excluded.meets_threshold, "
    "eligible = excluded.eligible, at_risk = excluded.at_risk, computed_at = excluded.computed_at"
).format(
    columns=", ".join(COLUMNS),
    updates=", ".join(f"{column} = excluded.{column}" for column in COLUMNS),
)


# Counting a scope's tallies again: its places' rows go, and what their records hold now takes their place.
TALLY_DELETE = (  # noqa: S608
    "DELETE FROM participants_evidencetally WHERE enrolment_id IN "
    "(SELECT e.id FROM participants_enrolment e WHERE {scope})"
)
TALLY_INSERT = (
    "INSERT INTO participants_evidencetally (enrolment_id, component_id, contents_attended, hours_attended, "
    "core_tasks_done, hours_logged, recorded_done) "
    "SELECT enrolment_id, component_id, SUM(contents_attended), SUM(hours_attended), SUM(core_tasks_done), "
    "SUM(hours_logged), MAX(recorded_done) = 1 FROM found GROUP BY enrolment_id, component_id"
)


def _open_sessions(cursor, params: dict[str, object]) -> str:
    """The sessions of content not over yet (a session still to run, or one whose repeat is), as SQL."""
    cursor.execute(
        "SELECT s.id FROM programmes_session s WHERE COALESCE(s.repeat_of_id, s.id) IN "
        "(SELECT COALESCE(r.repeat_of_id, r.id) FROM programmes_session r WHERE r.ends_at > %(now)s)",
        params,
    )
    return ", ".join(str(int(row[0])) for row in cursor.fetchall()) or "NULL"


def _sql(tail: str, *, scope: str, ctes: str = FRESH_CTES, open_sessions: str = "NULL") -> str:
    words = DIALECT["sqlite" if connection.vendor == "sqlite" else "postgresql"]
    today = words["today"]
    return (
        ctes.format(
            today=today,
            scope=scope,
            open_sessions=open_sessions,
            evidence=EVIDENCE_SQL,
            session_hours=words["session_hours"],
            cohort_days=words["days"].format(later="co.end_date", earlier="co.start_date"),
            elapsed_days=words["days"].format(later=today, earlier="co.start_date"),
        )
        + tail
    )


def _params(now: datetime.datetime) -> dict[str, object]:
    return {
        "now": connection.ops.adapt_datetimefield_value(now),
        "today": timezone.localdate(now).isoformat(),
    }


def _scope(
    params: dict[str, object], *, cohort_ids: Iterable[int] | None, enrolment_ids: Iterable[int] | None
) -> str:
    """A WHERE condition on the places (e alias) to compute, with its parameters added to `params`."""
    clauses = []
    for column, ids in (("e.cohort_id", cohort_ids), ("e.id", enrolment_ids)):
        if ids is None:
            continue
        names = []
        for index, value in enumerate(sorted(set(ids))):
            name = f"{column[2:]}_{index}"
            params[name] = int(value)
            names.append(f"%({name})s")
        clauses.append(f"{column} IN ({', '.join(names)})" if names else "1 = 0")
    return " AND ".join(clauses) or "1 = 1"


def _tallies_count(cursor, *, scope: str, params: dict[str, object]) -> None:
    cursor.execute(TALLY_DELETE.format(scope=scope), params)
    cursor.execute(_sql(TALLY_INSERT, scope=scope, ctes=TALLY_CTES), params)


@transaction.atomic
def evidence_tallies_count(*, cohort_ids: Iterable[int] | None = None) -> None:
    """Count again, from the records, the evidence tallies of the places on these cohorts (every place when
    none are given). For loaders that write records in bulk without the services (the demo, the national
    benchmark's generator); the services queue the cohort (engagement_changed), which does the same."""
    params = _params(timezone.now())
    with connection.cursor() as cursor:
        _tallies_count(cursor, scope=_scope(params, cohort_ids=cohort_ids, enrolment_ids=None), params=params)


@transaction.atomic
def engagement_recompute(
    *,
    cohort_ids: Iterable[int] | None = None,
    enrolment_ids: Iterable[int] | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Recompute and store the engagement of the places on these cohorts (or these places; or every place
    when neither is given). Safe to run twice. Returns how many places it wrote.

    It reads the evidence tallies, not the records: for a cohort or some places it first counts their tallies
    again; for every place it counts again those of the cohorts still queued (a change was made since their
    last count), and trusts the rest."""
    params = _params(now or timezone.now())
    scope = _scope(params, cohort_ids=cohort_ids, enrolment_ids=enrolment_ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling these large statements costs more than it saves (measured: 14 s → 11 s for 50,000
            # places); LOCAL: only for this transaction.
            cursor.execute("SET LOCAL jit = off")
        if cohort_ids is None and enrolment_ids is None:
            queued = list(EngagementQueue.objects.values_list("cohort_id", flat=True))
            if queued:
                queued_params = _params(now or timezone.now())
                queued_scope = _scope(queued_params, cohort_ids=queued, enrolment_ids=None)
                _tallies_count(cursor, scope=queued_scope, params=queued_params)
        else:
            _tallies_count(cursor, scope=scope, params=params)
        open_sessions = _open_sessions(cursor, params)
        cursor.execute(_sql(RECOMPUTE, scope=scope, ctes=STORED_CTES, open_sessions=open_sessions), params)
        if cursor.rowcount >= 0:
            return cursor.rowcount
        # SQLite does not count the rows of a statement that starts with WITH: count the places instead.
        cursor.execute(f"SELECT COUNT(*) FROM participants_enrolment e WHERE {scope}", params)  # noqa: S608
        return cursor.fetchone()[0]


# Measuring one place, fresh, with its reasons ----------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One component's contribution to a place's engagement."""

    component_id: int
    evidence: str
    counts: bool
    required: bool
    planned_hours: Decimal
    credited_hours: Decimal
    due_hours: Decimal
    possible_hours: Decimal
    done: bool
    sessions_timetabled: int
    sessions_over: int
    sessions_attended: int
    core_done: int
    core_total: int
    logged_hours: Decimal

    @property
    def counted(self) -> bool:
        return self.counts and self.planned_hours > 0


@dataclass(frozen=True)
class Measure:
    """A place's engagement figures as the stored Engagement row holds them, measured now."""

    planned_hours: Decimal
    credited_hours: Decimal
    due_hours: Decimal
    credited_due_hours: Decimal
    possible_hours: Decimal
    percent: Decimal | None
    to_date_percent: Decimal | None
    max_percent: Decimal | None
    core_tasks_done: int
    core_tasks_total: int
    required_missing: int
    meets_threshold: bool
    eligible: bool
    at_risk: bool


def _decimal(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001")) if value is not None else Decimal(0)


def _percent(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


PART_COLUMNS = (
    "component_id, evidence, counts, required, planned_hours, credited_hours, due_hours, possible_hours, done, "
    "sessions_timetabled, sessions_over, sessions_attended, core_done, core_total, logged_hours"
)
PARTS_TAIL = f"SELECT enrolment_id, {PART_COLUMNS} FROM measured ORDER BY enrolment_id, component_id"  # noqa: S608
MEASURE_TAIL = (  # noqa: S608
    "SELECT enrolment_id, {columns}, meets_threshold, "
    "CASE WHEN meets_threshold = 1 AND core_tasks_done >= core_tasks_total AND required_missing = 0 "
    "THEN 1 ELSE 0 END, "
    "CASE WHEN status IN ('active', 'deferred') AND (cannot_reach = 1 OR lagging = 1) THEN 1 ELSE 0 END "
    "FROM results"
).format(columns=", ".join(COLUMNS))


def engagement_measure(
    *, enrolment_id: int, now: datetime.datetime | None = None
) -> tuple[Measure, list[Part]]:
    """One place's engagement as it is now, and each component's part in it (two queries; the same SQL the
    recompute stores)."""
    measured = engagement_measure_many(enrolment_ids=[enrolment_id], now=now)
    if enrolment_id not in measured:
        raise ValueError(f"No place {enrolment_id}")
    return measured[enrolment_id]


def engagement_measure_many(
    *, enrolment_ids: Iterable[int], now: datetime.datetime | None = None
) -> dict[int, tuple[Measure, list[Part]]]:
    """Several places' engagement as it is now, with each component's part, by enrolment id: two queries
    however many places."""
    params = _params(now or timezone.now())
    scope = _scope(params, cohort_ids=None, enrolment_ids=enrolment_ids)
    with connection.cursor() as cursor:
        cursor.execute(_sql(MEASURE_TAIL, scope=scope), params)
        rows = cursor.fetchall()
        cursor.execute(_sql(PARTS_TAIL, scope=scope), params)
        part_rows = cursor.fetchall()
    parts: dict[int, list[Part]] = {}
    for r in part_rows:
        parts.setdefault(r[0], []).append(
            Part(
                component_id=r[1],
                evidence=r[2],
                counts=bool(r[3]),
                required=bool(r[4]),
                planned_hours=_decimal(r[5]),
                credited_hours=_decimal(r[6]),
                due_hours=_decimal(r[7]),
                possible_hours=_decimal(r[8]),
                done=bool(r[9]),
                sessions_timetabled=int(r[10]),
                sessions_over=int(r[11]),
                sessions_attended=int(r[12]),
                core_done=int(r[13]),
                core_total=int(r[14]),
                logged_hours=_decimal(r[15]),
            )
        )
    measured = {}
    for row in rows:
        hours, percents, counts, flags = row[1:6], row[6:9], row[9:12], row[12:]
        measure = Measure(
            *(_decimal(value) for value in hours),
            *(_percent(value) for value in percents),
            *(int(value) for value in counts),
            *(bool(value) for value in flags),
        )
        measured[row[0]] = (measure, parts.get(row[0], []))
    return measured


# Keeping it current ------------------------------------------------------------------------------------


def engagement_changed(*, cohort_ids: Iterable[int]) -> None:
    """Mark these cohorts' engagement for recomputing, inside the caller's transaction; after it commits a
    background job recomputes each cohort once, however many changes it gathered. Call it from every
    service that changes what engagement is made of."""
    from participants.tasks import engagement_recompute_cohort_task

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fresh = []
    with connection.cursor() as cursor:
        # In id order, so that two transactions marking the same cohorts lock them in the same order.
        for cohort_id in sorted(set(cohort_ids)):
            cursor.execute(
                "INSERT INTO participants_engagementqueue (cohort_id, version, queued_at) VALUES (%s, 1, %s) "
                "ON CONFLICT (cohort_id) DO UPDATE SET version = participants_engagementqueue.version + 1 "
                "RETURNING version",
                [cohort_id, now],
            )
            if cursor.fetchone()[0] == 1:
                fresh.append(cohort_id)
    # A cohort already queued has its job coming: that job sees this change or runs again.
    for cohort_id in fresh:
        enqueue(engagement_recompute_cohort_task, cohort_id, countdown=COALESCE_SECONDS)


def engagement_recompute_queued(*, cohort_id: int) -> bool:
    """Recompute a queued cohort and take it off the queue, unless it changed again meanwhile: then queue
    another run. False when it was not queued (another run did it)."""
    from participants.tasks import engagement_recompute_cohort_task

    version = EngagementQueue.objects.filter(cohort_id=cohort_id).values_list("version", flat=True).first()
    if version is None:
        return False
    engagement_recompute(cohort_ids=[cohort_id])
    # Waits for any transaction changing the row; a change that arrived meanwhile raised the version.
    removed, _ = EngagementQueue.objects.filter(cohort_id=cohort_id, version=version).delete()
    if not removed:
        with transaction.atomic():
            enqueue(engagement_recompute_cohort_task, cohort_id, countdown=COALESCE_SECONDS)
    return True


def engagement_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue again the cohorts whose recompute job was lost (queued longer ago than SWEEP_AFTER)."""
    from participants.tasks import engagement_recompute_cohort_task

    before = (now or timezone.now()) - SWEEP_AFTER
    waiting: Sequence[int] = list(
        EngagementQueue.objects.filter(queued_at__lt=before)
        .order_by("cohort_id")
        .values_list("cohort_id", flat=True)
    )
    with transaction.atomic():
        for cohort_id in waiting:
            enqueue(engagement_recompute_cohort_task, cohort_id)
    return list(waiting)
