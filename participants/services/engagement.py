"""Engagement and eligibility, worked out in set-based SQL for any number of places.

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
  (sessions not yet over and not yet attended, rounded down; self-paced work until the cohort ends) ÷ planned
  hours.
- Eligible when the engagement % meets the threshold with the programme's comparison ("at least" or "more
  than", compared to two decimals, half up, as shown), every core task is complete, and every required
  component that the engagement hours do not measure (it does not count toward engagement, or it has no
  planned hours) is done.
- At risk (started places only, active or deferred) when the maximum still possible cannot meet the
  threshold, or the to-date figure is more than the programme's margin below the threshold. (The deadline
  rule is in participants/standing.py: it needs each place's deadline.)

Recomputing is idempotent (a place whose figures are the same is left as it is). Changes mark their cohort in
EngagementQueue in the same transaction; after commit one background job per cohort recomputes it, however many
changes came.

The recompute reads what each place has done toward each component from its evidence tally (EvidenceTally) and
each group's plan (ComponentPlan), not from the records: there are millions of attendance marks. Recomputing a
cohort (the queued job) or some places counts them again from the records first; recomputing every place (the
nightly job, as time passing changes what is due) counts again those of the cohorts queued when it starts,
leaves out cohorts queued while it runs (their job does them), and reads the rest. A place with no evidence
for a component gets the figures every place of its group gets, worked out once per group.
`engagement_measure` works one place out afresh from its records, with each component's part.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from npqel.jobs import enqueue
from npqel.locks import lock_names
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
        # Hours rounded down to 4 decimals ({down}…{down_end} around a non-negative expression).
        "down": "TRUNC(",
        "distinct": "IS DISTINCT FROM",
        "down_end": ", 4)",
        "session_hours": "(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 3600.0)",
    },
    "sqlite": {
        "today": "%(today)s",
        "days": "(julianday({later}) - julianday({earlier}))",
        "down": "(CAST((",
        "distinct": "IS NOT",
        "down_end": ") * 10000 AS INTEGER) / 10000.0)",
        "session_hours": "((julianday(s.ends_at) - julianday(s.starts_at)) * 24.0)",
    },
}

# Both ways of working engagement out start here: the places, and their cohorts' groups (group 0: places in
# no group).
HEAD = """
WITH places AS (
    SELECT e.id AS enrolment_id, e.cohort_id, COALESCE(e.group_id, 0) AS group_key, e.status, co.programme_id
    FROM participants_enrolment e
    JOIN programmes_cohort co ON co.id = e.cohort_id
    WHERE {scope}
),
place_groups AS (
    -- With each cohort's calendar: whether it is still open, and how many of its days have passed.
    SELECT g.cohort_id, g.group_key, g.programme_id,
           CASE WHEN {today} <= co.end_date THEN 1 ELSE 0 END AS still_open,
           CASE
               WHEN {today} <= co.start_date THEN 0
               WHEN {today} >= co.end_date THEN {cohort_days}
               ELSE {elapsed_days}
           END AS elapsed_days,
           {cohort_days} AS cohort_days
    FROM (SELECT DISTINCT cohort_id, group_key, programme_id FROM places) g
    JOIN programmes_cohort co ON co.id = g.cohort_id
),
"""

# What each component of the programme plans for each group, from the cohort's timetable.
PLANS = """
contents AS (
    -- What each group of a cohort is timetabled for: the cohort's sessions and the group's own. A session
    -- and its repeats are one piece of content, over when its last run is.
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
course_tasks AS (
    SELECT m.course_id AS component_id, COUNT(*) AS total
    FROM programmes_module m JOIN programmes_task t ON t.module_id = m.id AND t.core
    GROUP BY m.course_id
),
plans AS (
    -- Planned hours: the published hours; where none, a timetabled component's session lengths, else
    -- nothing. Attendance is measured in pieces of content where hours are published, else in hours.
    SELECT g.cohort_id, g.group_key, g.still_open, g.elapsed_days, g.cohort_days,
           c.id AS component_id, {evidence} AS evidence,
           c.counts_toward_engagement AS counts, c.required, c.guided_learning_hours AS glh,
           CASE WHEN c.guided_learning_hours IS NOT NULL THEN c.guided_learning_hours * 1.0
                WHEN {evidence} = 'attendance' THEN ROUND(COALESCE(tt.hours, 0) * 1.0, 4)
                ELSE 0 END AS planned_hours,
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
core_done AS (
    SELECT tc.enrolment_id, m.course_id AS component_id, COUNT(*) AS done
    FROM participants_taskcompletion tc
    JOIN places p ON p.enrolment_id = tc.enrolment_id
    JOIN programmes_task t ON t.id = tc.task_id AND t.core
    JOIN programmes_module m ON m.id = t.module_id
    GROUP BY tc.enrolment_id, m.course_id
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
planned AS (
    -- Every component of each place's programme, with the evidence its records hold.
    SELECT p.enrolment_id, p.status, p.programme_id, f.still_open, f.elapsed_days, f.cohort_days,
           f.component_id, f.counts, f.required, f.evidence, f.glh, f.planned_hours, f.units, f.units_ended,
           f.sessions_timetabled, f.sessions_over, f.core_total,
           CASE WHEN cc.id IS NULL THEN 0 ELSE 1 END AS recorded_done,
           CASE WHEN f.glh IS NULL THEN COALESCE(att.hours, 0) ELSE COALESCE(att.contents, 0) END
               AS units_attended,
           CASE WHEN f.glh IS NULL THEN COALESCE(att.open_hours, 0) ELSE COALESCE(att.open_contents, 0) END
               AS units_attended_open,
           COALESCE(att.contents, 0) AS sessions_attended,
           COALESCE(att.hours, 0) AS hours_attended,
           COALESCE(cd.done, 0) AS core_done,
           COALESCE(lg.hours, 0) AS logged_hours
    FROM places p
    JOIN plans f ON f.cohort_id = p.cohort_id AND f.group_key = p.group_key
    LEFT JOIN attended att ON att.enrolment_id = p.enrolment_id AND att.component_id = f.component_id
    LEFT JOIN core_done cd ON cd.enrolment_id = p.enrolment_id AND cd.component_id = f.component_id
    LEFT JOIN logs lg ON lg.enrolment_id = p.enrolment_id AND lg.component_id = f.component_id
    LEFT JOIN participants_componentcompletion cc
      ON cc.enrolment_id = p.enrolment_id AND cc.component_id = f.component_id
),
"""

# The rule, one row per place and component. Materialized: each figure is used several times, and
# PostgreSQL would otherwise work it out again wherever it is used.
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
               -- Sessions not over yet and not attended yet, rounded down: with what is credited, never more than
               -- the planned hours (-1: nothing more to come).
               WHEN q.evidence = 'attendance' AND q.units > 0 THEN
                   {down}q.planned_hours * (q.units - q.units_ended - q.units_attended_open) / q.units{down_end}
               WHEN q.still_open = 1 THEN q.planned_hours
               ELSE -1
           END AS to_come_hours,
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
                WHEN r.evidence = 'attendance' AND r.units > 0 THEN r.credited_hours + r.to_come_hours
                WHEN r.to_come_hours < 0 THEN r.credited_hours
                ELSE r.to_come_hours END AS possible_hours,
           CASE WHEN r.credited_hours < r.due_hours THEN r.credited_hours ELSE r.due_hours END
               AS credited_due_hours,
           CASE WHEN r.counts AND r.planned_hours > 0 THEN 1 ELSE 0 END AS counted
    FROM parts r
),
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

# From what is stored (ComponentPlan, EvidenceTally) and the sessions not over yet. A place with no evidence
# for a component gets what every place of its group gets (nothing credited or done; due and still possible as
# the timetable and the calendar say): worked out once per group. Each place's evidence then adds to that.
STORED = """
open_contents AS (
    -- Content not over yet on each group's timetable: only content with a run still to come can be (listed
    -- first, by _open_sessions, so that only its sessions are read).
    SELECT g.cohort_id, g.group_key, s.component_id, COALESCE(s.repeat_of_id, s.id) AS content,
           MAX({session_hours}) AS hours
    FROM place_groups g
    JOIN programmes_session s
      ON s.cohort_id = g.cohort_id AND (s.group_id IS NULL OR s.group_id = g.group_key)
    WHERE COALESCE(s.repeat_of_id, s.id) IN ({open_contents})
    GROUP BY g.cohort_id, g.group_key, s.component_id, COALESCE(s.repeat_of_id, s.id)
    HAVING MAX(s.ends_at) > %(now)s
),
open_units AS (
    SELECT cohort_id, group_key, component_id, COUNT(*) AS contents, SUM(hours) AS hours
    FROM open_contents
    GROUP BY cohort_id, group_key, component_id
),
plans_now AS (
    -- (* 1.0: SQLite keeps a whole number of hours as an integer, and would divide it as one.)
    SELECT f.cohort_id, f.group_key, f.component_id, f.evidence, f.counted, f.required,
           f.planned_hours * 1.0 AS planned_hours, f.units * 1.0 AS units, f.in_hours, f.core_total,
           g.still_open, g.elapsed_days, g.cohort_days,
           f.units - CASE WHEN f.in_hours THEN COALESCE(o.hours, 0) ELSE COALESCE(o.contents, 0) END
               AS units_ended
    FROM place_groups g
    JOIN participants_componentplan f ON f.cohort_id = g.cohort_id AND f.group_key = g.group_key
    LEFT JOIN open_units o
      ON o.cohort_id = f.cohort_id AND o.group_key = f.group_key AND o.component_id = f.component_id
),
unevidenced AS MATERIALIZED (
    SELECT q.*,
           CASE
               WHEN q.evidence = 'attendance' THEN
                   CASE WHEN q.units > 0 THEN ROUND(q.planned_hours * q.units_ended / q.units, 4) ELSE 0 END
               WHEN q.cohort_days > 0 THEN ROUND(q.planned_hours * q.elapsed_days / q.cohort_days, 4)
               ELSE q.planned_hours
           END AS due_hours,
           CASE
               WHEN q.evidence = 'attendance' AND q.units > 0 THEN
                   {down}q.planned_hours * (q.units - q.units_ended) / q.units{down_end}
               WHEN q.still_open = 1 THEN q.planned_hours
               ELSE 0
           END AS possible_hours
    FROM plans_now q
),
group_totals AS (
    SELECT cohort_id, group_key,
           SUM(CASE WHEN counted THEN planned_hours ELSE 0 END) AS planned_hours,
           SUM(CASE WHEN counted THEN due_hours ELSE 0 END) AS due_hours,
           SUM(CASE WHEN counted THEN possible_hours ELSE 0 END) AS possible_hours,
           SUM(CASE WHEN evidence = 'tasks' THEN core_total ELSE 0 END) AS core_tasks_total,
           SUM(CASE WHEN required AND NOT counted THEN 1 ELSE 0 END) AS required_missing
    FROM unevidenced
    GROUP BY cohort_id, group_key
),
open_attended AS MATERIALIZED (
    -- Content attended that is not over yet (a later run still to come): few places have any. Its marks are
    -- found by their session's index.
    SELECT x.enrolment_id, p.cohort_id, p.group_key, c.component_id, COUNT(*) AS contents, SUM(c.hours) AS hours
    FROM (
        SELECT DISTINCT a.enrolment_id, COALESCE(s.repeat_of_id, s.id) AS content
        FROM participants_attendance a
        JOIN programmes_session s ON s.id = a.session_id
        WHERE a.session_id IN ({open_sessions}) AND a.status IN ('present', 'late')
    ) x
    JOIN places p ON p.enrolment_id = x.enrolment_id
    JOIN open_contents c ON c.cohort_id = p.cohort_id AND c.group_key = p.group_key AND c.content = x.content
    GROUP BY x.enrolment_id, p.cohort_id, p.group_key, c.component_id
),
other_evidence AS MATERIALIZED (
    -- Evidence other than attendance, and components recorded done: measured against the group's figures.
    SELECT v.*, p.cohort_id, p.group_key
    FROM participants_evidencetally v
    JOIN places p ON p.enrolment_id = v.enrolment_id
    WHERE v.evidence <> 'attendance' OR v.recorded_done
),
attendance_credit AS (
    -- Attendance: what it credits is all due (the content attended is over, or counted as due); still
    -- possible is that plus what is to come, which every place of the group has to come.
    SELECT v.enrolment_id,
           SUM(CASE WHEN v.counted THEN v.credited_hours ELSE 0 END) AS credited_hours,
           SUM(CASE WHEN v.required AND NOT v.counted AND v.done THEN 1 ELSE 0 END) AS required_done
    FROM participants_evidencetally v
    WHERE v.evidence = 'attendance' AND NOT v.recorded_done AND {tallies_in_scope}
    GROUP BY v.enrolment_id
),
other_credit AS (
    -- Recorded done, and the other kinds of evidence: against the group's figures for the component.
    SELECT v.enrolment_id,
           SUM(CASE WHEN v.counted THEN v.credited_hours ELSE 0 END) AS credited_hours,
           SUM(CASE WHEN NOT v.counted THEN 0
                    WHEN v.recorded_done OR d.due_hours < v.credited_hours THEN d.due_hours
                    ELSE v.credited_hours END) AS credited_due_hours,
           SUM(CASE WHEN NOT v.counted THEN 0
                    WHEN v.recorded_done THEN d.planned_hours - d.possible_hours
                    WHEN d.still_open = 1 THEN 0
                    ELSE v.credited_hours - d.possible_hours END) AS possible_more,
           SUM(CASE WHEN v.evidence = 'tasks' THEN v.core_tasks_done ELSE 0 END) AS core_tasks_done,
           SUM(CASE WHEN v.required AND NOT v.counted AND v.done THEN 1 ELSE 0 END) AS required_done
    FROM other_evidence v
    JOIN unevidenced d
      ON d.cohort_id = v.cohort_id AND d.group_key = v.group_key AND d.component_id = v.component_id
    GROUP BY v.enrolment_id
),
open_credit AS (
    -- Content attended before it is over: due already, and no longer to come.
    SELECT o.enrolment_id,
           SUM(ROUND(d.planned_hours * (d.units_ended + {open_units}) / d.units, 4) - d.due_hours) AS due_more,
           SUM(CASE WHEN v.recorded_done
                    THEN ROUND(d.planned_hours * (d.units_ended + {open_units}) / d.units, 4) - d.due_hours
                    ELSE 0 END) AS credited_due_more,
           SUM(CASE WHEN v.recorded_done THEN 0
                    ELSE {down}d.planned_hours * (d.units - d.units_ended - {open_units}) / d.units{down_end}
                         - d.possible_hours END) AS possible_more
    FROM open_attended o
    JOIN unevidenced d
      ON d.cohort_id = o.cohort_id AND d.group_key = o.group_key AND d.component_id = o.component_id
    JOIN participants_evidencetally v ON v.enrolment_id = o.enrolment_id AND v.component_id = o.component_id
    WHERE d.evidence = 'attendance' AND d.counted AND d.units > 0
    GROUP BY o.enrolment_id
),
totals AS (
    SELECT p.enrolment_id, p.status, p.programme_id,
           COALESCE(g.planned_hours, 0) AS planned_hours,
           COALESCE(a.credited_hours, 0) + COALESCE(x.credited_hours, 0) AS credited_hours,
           COALESCE(g.due_hours, 0) + COALESCE(o.due_more, 0) AS due_hours,
           COALESCE(a.credited_hours, 0) + COALESCE(x.credited_due_hours, 0) + COALESCE(o.credited_due_more, 0)
               AS credited_due_hours,
           COALESCE(g.possible_hours, 0) + COALESCE(a.credited_hours, 0) + COALESCE(x.possible_more, 0)
               + COALESCE(o.possible_more, 0) AS possible_hours,
           COALESCE(x.core_tasks_done, 0) AS core_tasks_done,
           COALESCE(g.core_tasks_total, 0) AS core_tasks_total,
           COALESCE(g.required_missing, 0) - COALESCE(a.required_done, 0) - COALESCE(x.required_done, 0)
               AS required_missing
    FROM places p
    LEFT JOIN group_totals g ON g.cohort_id = p.cohort_id AND g.group_key = p.group_key
    LEFT JOIN attendance_credit a ON a.enrolment_id = p.enrolment_id
    LEFT JOIN other_credit x ON x.enrolment_id = p.enrolment_id
    LEFT JOIN open_credit o ON o.enrolment_id = p.enrolment_id
),
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

FRESH_CTES = HEAD + PLANS + RECORDS + RULE + RESULTS
STORED_CTES = HEAD + STORED + RESULTS

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
FLAGS = ("meets_threshold", "eligible", "at_risk")

# The SQL is built from constants only (column names above); every value is a bound parameter. A place whose
# figures are the same as stored is left as it is: its row, and when it was worked out, stand. Nor are figures
# worked out later overwritten: a cohort's job can recount and write while the nightly run, which read the
# queue before that cohort was queued, is still working from the tallies as they were.
_FIGURES = dict(
    columns=", ".join(COLUMNS),
    flags=", ".join(FLAGS),
    found=", ".join(f"f.{column}" for column in (*COLUMNS, *FLAGS)),
    stored=", ".join(f"e.{column}" for column in (*COLUMNS, *FLAGS)),
    updates=", ".join(f"{column} = f.{column}" for column in (*COLUMNS, *FLAGS)),
)
FOUND = (  # noqa: S608
    ",\nfound AS (\n"
    "    SELECT enrolment_id, {columns}, meets_threshold = 1 AS meets_threshold,\n"
    "           meets_threshold = 1 AND core_tasks_done >= core_tasks_total AND required_missing = 0 AS eligible,\n"
    "           status IN ('active', 'deferred') AND (cannot_reach = 1 OR lagging = 1) AS at_risk\n"
    "    FROM results\n"
    ")\n"
).format(**_FIGURES)
# Every place, on PostgreSQL: the changed rows updated and the new ones inserted, in one pass over the places each
# (an upsert would lock every existing row to compare it). Returns how many it wrote.
RECOMPUTE_EVERY_PLACE = (
    FOUND  # noqa: S608
    + ",\nchanged AS (\n"
    "    UPDATE participants_engagement e SET {updates}, computed_at = %(now)s\n"
    "    FROM found f\n"
    "    WHERE e.enrolment_id = f.enrolment_id AND ({stored}) IS DISTINCT FROM ({found})\n"
    "      AND e.computed_at <= %(now)s\n"
    "    RETURNING 1\n"
    "),\n"
    "added AS (\n"
    "    INSERT INTO participants_engagement (enrolment_id, {columns}, {flags}, computed_at)\n"
    "    SELECT f.enrolment_id, {found}, %(now)s FROM found f\n"
    "    ON CONFLICT (enrolment_id) DO NOTHING\n"
    "    RETURNING 1\n"
    ")\n"
    "SELECT (SELECT COUNT(*) FROM changed) + (SELECT COUNT(*) FROM added)"
).format(**_FIGURES)
# A cohort or some places (and every place on SQLite, the no-services `make run`): an upsert that leaves a place
# with the same figures, or with figures worked out later, as it is.
RECOMPUTE_SOME = (
    FOUND  # noqa: S608
    + "INSERT INTO participants_engagement (enrolment_id, {columns}, {flags}, computed_at) "
    "SELECT f.enrolment_id, {found}, %(now)s FROM found f WHERE 1 = 1 "
    "ON CONFLICT (enrolment_id) DO UPDATE SET {excluded}, computed_at = excluded.computed_at "
    "WHERE ({stored_upsert}) {{distinct}} ({excluded_figures}) "
    "AND participants_engagement.computed_at <= excluded.computed_at"
).format(
    **_FIGURES,
    excluded=", ".join(f"{column} = excluded.{column}" for column in (*COLUMNS, *FLAGS)),
    stored_upsert=", ".join(f"participants_engagement.{column}" for column in (*COLUMNS, *FLAGS)),
    excluded_figures=", ".join(f"excluded.{column}" for column in (*COLUMNS, *FLAGS)),
)

# Counting a scope's tallies and plans again: its places' tallies and its groups' plans go, and what the records
# and the timetable hold now takes their place. Only components a place has some evidence for get a tally.
TALLY_DELETE = (  # noqa: S608
    "DELETE FROM participants_evidencetally WHERE enrolment_id IN "
    "(SELECT e.id FROM participants_enrolment e WHERE {scope})"
)
TALLY_INSERT = (
    "INSERT INTO participants_evidencetally (enrolment_id, component_id, contents_attended, hours_attended, "
    "core_tasks_done, hours_logged, recorded_done, evidence, counted, required, credited_hours, done) "
    "SELECT enrolment_id, component_id, sessions_attended, hours_attended, core_done, logged_hours, "
    "recorded_done = 1, evidence, counted = 1, required, credited_hours, done = 1 FROM measured "
    "WHERE sessions_attended > 0 OR recorded_done = 1 OR core_done > 0 OR logged_hours > 0"
)
PLAN_DELETE = (  # noqa: S608
    "DELETE FROM participants_componentplan WHERE (cohort_id, group_key) IN "
    "(SELECT e.cohort_id, COALESCE(e.group_id, 0) FROM participants_enrolment e WHERE {scope})"
)
PLAN_INSERT = (
    "INSERT INTO participants_componentplan (cohort_id, group_key, component_id, evidence, counted, required, "
    "planned_hours, units, in_hours, core_total) "
    "SELECT cohort_id, group_key, component_id, evidence, counts AND planned_hours > 0, required, "
    "planned_hours, units, glh IS NULL, core_total FROM plans"
)
# In the stored path: the units of content a place attended before it was over (hours or pieces of content).
OPEN_UNITS = "(CASE WHEN d.in_hours THEN o.hours ELSE o.contents END)"


def _open_sessions(cursor, params: dict[str, object], *, scope: str | None = None) -> tuple[str, str]:
    """The sessions of content not over yet (a session still to run, or one whose repeat is), and that
    content, as SQL lists: of the cohorts of the places in `scope`, or of every cohort."""
    of_cohorts = (
        ""
        if scope is None
        else f" AND r.cohort_id IN (SELECT e.cohort_id FROM participants_enrolment e WHERE {scope})"  # noqa: S608
    )
    cursor.execute(
        "SELECT s.id, COALESCE(s.repeat_of_id, s.id) FROM programmes_session s "  # noqa: S608 - scope: _scope's
        "WHERE COALESCE(s.repeat_of_id, s.id) "
        f"IN (SELECT COALESCE(r.repeat_of_id, r.id) FROM programmes_session r WHERE r.ends_at > %(now)s{of_cohorts})",
        params,
    )
    rows = cursor.fetchall()
    sessions = ", ".join(str(int(session)) for session, _ in rows) or "NULL"
    contents = ", ".join(str(int(content)) for content in sorted({content for _, content in rows})) or "NULL"
    return sessions, contents


def _sql(
    tail: str,
    *,
    scope: str,
    ctes: str = FRESH_CTES,
    open_sessions: str = "NULL",
    open_contents: str = "NULL",
    every_place: bool = False,
) -> str:
    vendor = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    words = DIALECT[vendor]
    today = words["today"]
    return ctes.format(
        today=today,
        scope=scope,
        evidence=EVIDENCE_SQL,
        session_hours=words["session_hours"],
        cohort_days=words["days"].format(later="co.end_date", earlier="co.start_date"),
        elapsed_days=words["days"].format(later=today, earlier="co.start_date"),
        open_sessions=open_sessions,
        open_contents=open_contents,
        open_units=OPEN_UNITS,
        down=words["down"],
        down_end=words["down_end"],
        # Every tally is of a place (they go with it): when every place is computed, every tally is read (those of
        # places left out are not joined to any place).
        tallies_in_scope="1 = 1" if every_place else "v.enrolment_id IN (SELECT enrolment_id FROM places)",
    ) + tail.replace("{distinct}", words["distinct"])


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


def _lock_cohorts(cursor, *, scope: str, params: dict[str, object]) -> None:
    """One count of a cohort's tallies at a time (each deletes them, then inserts them again: two at once would
    insert the same rows twice)."""
    if connection.vendor != "postgresql":
        return
    cursor.execute(f"SELECT DISTINCT e.cohort_id FROM participants_enrolment e WHERE {scope}", params)  # noqa: S608
    lock_names(f"engagement-tallies:{cohort_id}" for (cohort_id,) in cursor.fetchall())


def _count(cursor, *, cohort_ids: Iterable[int] | None, enrolment_ids: Iterable[int] | None = None) -> None:
    params = _params(timezone.now())  # what is counted does not depend on the time
    scope = _scope(params, cohort_ids=cohort_ids, enrolment_ids=enrolment_ids)
    _lock_cohorts(cursor, scope=scope, params=params)
    for delete, insert in ((TALLY_DELETE, TALLY_INSERT), (PLAN_DELETE, PLAN_INSERT)):
        cursor.execute(delete.format(scope=scope), params)
        cursor.execute(_sql(insert, scope=scope), params)


def _fast(cursor) -> None:
    if connection.vendor == "postgresql":
        # Compiling these large statements costs more than it saves (measured: 14 s → 11 s for 50,000 places);
        # LOCAL: only for this transaction.
        cursor.execute("SET LOCAL jit = off")


@transaction.atomic
def engagement_tallies_count(*, cohort_ids: Iterable[int] | None = None) -> None:
    """Count again, from the records and the timetable, the evidence tallies and plans of the places on these
    cohorts (every place when none are given). For loaders that write records in bulk past the services (the
    demo, the national benchmark's generator); a service queues the cohort instead (engagement_changed), and
    its recompute does the same."""
    with connection.cursor() as cursor:
        _fast(cursor)
        _count(cursor, cohort_ids=cohort_ids)


@transaction.atomic
def engagement_recompute(
    *,
    cohort_ids: Iterable[int] | None = None,
    enrolment_ids: Iterable[int] | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Recompute and store the engagement of the places on these cohorts (or these places; or every place when
    neither is given). Safe to run twice. Returns how many places' figures it wrote: new, or changed.

    For a cohort or some places it first counts their evidence tallies and plans again from the records; for
    every place it counts again those of the cohorts still queued (changed since their last count), and reads
    the rest as they are."""
    params = _params(now or timezone.now())
    scope = _scope(params, cohort_ids=cohort_ids, enrolment_ids=enrolment_ids)
    every_place = cohort_ids is None and enrolment_ids is None
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        _fast(cursor)
        if every_place:
            queued = sorted(EngagementQueue.objects.values_list("cohort_id", flat=True))
            if queued:
                _count(cursor, cohort_ids=queued)
            # A cohort queued since (a change committed while this runs) is left to its own job: its tallies here
            # are from before the change, and the job may be writing its figures now.
            counted = f" AND q.cohort_id NOT IN ({', '.join(str(int(c)) for c in queued)})" if queued else ""
            scope = (
                "NOT EXISTS (SELECT 1 FROM participants_engagementqueue q "  # noqa: S608 - ids are ints
                f"WHERE q.cohort_id = e.cohort_id{counted})"
            )
        else:
            _count(cursor, cohort_ids=cohort_ids, enrolment_ids=enrolment_ids)
        # A cohort's job lists only its cohort's sessions (a group's timetable holds only its cohort's).
        sessions, contents = _open_sessions(cursor, params, scope=None if every_place else scope)
        write = RECOMPUTE_EVERY_PLACE if postgresql and every_place else RECOMPUTE_SOME
        cursor.execute(
            _sql(
                write,
                scope=scope,
                ctes=STORED_CTES,
                open_sessions=sessions,
                open_contents=contents,
                every_place=every_place,
            ),
            params,
        )
        if postgresql and not every_place:
            return cursor.rowcount
        if not postgresql:
            # SQLite does not count the rows of a statement that starts with WITH.
            cursor.execute("SELECT changes()")
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
