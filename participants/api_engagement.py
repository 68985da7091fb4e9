"""The engagement API: what engagement is made of (a session's register, task completions, coaching, feedback
ratings) and each place's engagement and eligibility with its explanation.

Reads go through selectors and writes through the same services as the pages, so the API cannot do anything a
page refuses. Each request is checked as the pages check it: a role that may never do a kind of thing gets 403
before anything is read; the object is then found among those the caller may see (another provider's is 404,
like a missing one); the service has the last word on the rules (a register not yet open, a place not
expected at the session, a day in the future…), and its refusal comes back as a 400 saying what to fix.

Who may do what (npqel/access.py):
- a session's register: TAKE_REGISTER (the provider's admins and facilitators);
- task completions: read with VIEW_ENROLMENTS (admins, platform staff), record with RECORD_LEARNING (admins);
- coaching: LOG_COACHING (the provider's admins; a coach for the places they coach);
- feedback: a participant rates on their own place only; the results need VIEW_FEEDBACK (admins and platform
  staff; a facilitator for the sessions they facilitate), only once MIN_RATINGS people have rated, and never
  say who gave which rating;
- engagement: VIEW_ENROLMENTS, and a participant for their own place.
"""

from collections.abc import Callable
from decimal import ROUND_HALF_UP
from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from npqel.api import ERROR_RESPONSES
from npqel.errors import DomainError
from participants import api_selectors, feedback_selectors, learning_selectors, log_selectors, selectors
from participants.feedback_selectors import MIN_RATINGS
from participants.models import Attendance, CoachingSession, FeedbackRating, TaskCompletion
from participants.services import feedback as feedback_services
from participants.services import learning as learning_services
from participants.services import logs as log_services
from participants.services import register_save
from participants.services.engagement import EVIDENCE_LABELS
from programmes.api import MAX_ID, ThisCenturyDateField, url_pk
from programmes.models import Programme

MOST_MARKS = 2000


def _path_id(description: str) -> OpenApiParameter:
    return OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=description)


SESSION_ID = _path_id("The session's id.")
ENROLMENT_ID = _path_id("The enrolment's (place's) id.")
COACHING_SESSION_ID = _path_id("The logged coaching session's id.")
TASK_ID = OpenApiParameter("task_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The task's id.")


def _valid(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _no_field(error: DomainError) -> DomainError:
    """The service's refusal as the error's message: the field it names is not one the request sent."""
    return DomainError(error.message)


def _not_seen(field: str, noun: str, pk: int, hint: str = "") -> serializers.ValidationError:
    message = f"There is no {noun} with id {pk} that you can see. Check the id."
    return serializers.ValidationError({field: [f"{message} {hint}".strip()]})


def hours_field(help_text: str, source: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        rounding=ROUND_HALF_UP,
        read_only=True,
        source=source,
        help_text=help_text,
    )


def percent_field(help_text: str, source: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True, allow_null=True, source=source, help_text=help_text
    )


# A session's register ------------------------------------------------------------------------------------


class RegisterPlaceSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(source="enrolment.pk", read_only=True, help_text="The place's id.")
    participant_name = serializers.CharField(
        source="enrolment.participant.user.display_name",
        read_only=True,
        help_text="Their name (their email address where no name is recorded).",
    )
    group = serializers.IntegerField(
        source="enrolment.group_id", read_only=True, allow_null=True, help_text="Id of their delivery group."
    )
    status = serializers.ChoiceField(
        choices=Attendance.Status.choices,
        source="attendance.status",
        read_only=True,
        allow_null=True,
        help_text="Their mark; null while they have none.",
    )
    marked_by = serializers.EmailField(
        source="attendance.marked_by.email",
        read_only=True,
        allow_null=True,
        help_text="Who made the first mark.",
    )
    marked_at = serializers.DateTimeField(source="attendance.marked_at", read_only=True, allow_null=True)
    updated_by = serializers.EmailField(
        source="attendance.updated_by.email",
        read_only=True,
        allow_null=True,
        help_text="Who last changed the mark; null until someone does.",
    )
    updated_at = serializers.DateTimeField(source="attendance.updated_at", read_only=True, allow_null=True)


class RegisterSerializer(serializers.Serializer):
    session = serializers.IntegerField(source="session.pk", read_only=True)
    is_open = serializers.BooleanField(
        read_only=True,
        help_text="The session has started, or starts within the hour: only then can marks be saved.",
    )
    expected = serializers.SerializerMethodField(help_text="How many places are expected at the session.")
    marked = serializers.IntegerField(read_only=True, help_text="How many of them have a mark.")
    places = RegisterPlaceSerializer(
        source="rows",
        many=True,
        read_only=True,
        help_text="Every place expected (accepted or active, on the session's cohort or group), in name order.",
    )

    def get_expected(self, register: selectors.Register) -> int:
        return len(register.rows)


class RegisterSavedSerializer(RegisterSerializer):
    changed = serializers.IntegerField(
        read_only=True, help_text="How many marks this request made or changed (the same mark again is none)."
    )


class MarkSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of a place expected at the session."
    )
    status = serializers.ChoiceField(choices=Attendance.Status.choices)


class MarksField(serializers.ListField):
    """A list of marks whose errors are plain messages naming the item and field ("Item 2, status: …")."""

    def run_child_validation(self, data: list) -> list:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as error:
            detail = error.detail if isinstance(error.detail, dict) else {}
            messages = []
            for index, problems in detail.items():
                if isinstance(problems, dict):
                    messages += [
                        f"Item {int(index) + 1}: {message}"
                        if name == api_settings.NON_FIELD_ERRORS_KEY
                        else f"Item {int(index) + 1}, {name}: {message}"
                        for name, field_messages in problems.items()
                        for message in field_messages
                    ]
                else:
                    messages += [f"Item {int(index) + 1}: {message}" for message in problems]
            raise serializers.ValidationError(messages) from None


class RegisterSaveSerializer(serializers.Serializer):
    marks = MarksField(
        child=MarkSerializer(),
        allow_empty=False,
        max_length=MOST_MARKS,
        help_text="One mark for each place to mark or change. Places left out keep the mark they have.",
        error_messages={
            # DRF formats these messages with str.format: the braces are doubled.
            "empty": 'Give at least one mark, like {{"enrolment": 12, "status": "present"}}.',
            "max_length": f"Give at most {MOST_MARKS} marks at once.",
        },
    )

    def validate_marks(self, marks: list[dict[str, Any]]) -> dict[int, str]:
        seen: set[int] = set()
        twice = []
        for mark in marks:
            if mark["enrolment"] in seen:
                twice.append(mark["enrolment"])
            seen.add(mark["enrolment"])
        if twice:
            listed = ", ".join(str(pk) for pk in dict.fromkeys(twice))
            raise serializers.ValidationError(
                f"Enrolment {listed} is listed more than once. Give each place one mark."
            )
        return {mark["enrolment"]: mark["status"] for mark in marks}


class SessionAttendanceView(APIView):
    """A session's register: every place expected at it with its mark. Provider admins and facilitators
    take it."""

    @extend_schema(
        summary="A session's register",
        parameters=[SESSION_ID],
        responses={200: RegisterSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: str) -> Response:
        register = selectors.register_for(user=request.user, session_pk=url_pk({"pk": pk}))
        return Response(RegisterSerializer(register).data)

    @extend_schema(
        summary="Save marks on a session's register",
        description="Create or change the marks of the places listed, all or nothing; each is kept in the "
        "register's history with who made it. Places not listed keep their mark. Refused (400, nothing "
        "written) for a place not expected at the session, or before the session starts (an hour before).",
        parameters=[SESSION_ID],
        request=RegisterSaveSerializer,
        responses={200: RegisterSavedSerializer, **ERROR_RESPONSES},
    )
    def put(self, request: Request, pk: str) -> Response:
        session = selectors.register_session(user=request.user, session_pk=url_pk({"pk": pk}))
        marks = _valid(request, RegisterSaveSerializer)["marks"]
        changed = register_save(by=request.user, session=session, marks=marks)
        register = selectors.register_for(user=request.user, session_pk=session.pk)
        return Response({**RegisterSerializer(register).data, "changed": changed})


# Task completions ----------------------------------------------------------------------------------------


class TaskCompletionSerializer(serializers.ModelSerializer):
    task = serializers.PrimaryKeyRelatedField(read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)
    task_reference = serializers.CharField(
        source="task.reference", read_only=True, help_text="Its reference in the learning platform, if any."
    )
    core = serializers.BooleanField(
        source="task.core", read_only=True, help_text="A core task: every one must be done to be eligible."
    )
    course = serializers.IntegerField(
        source="task.module.course_id", read_only=True, help_text="Id of its online course (a component)."
    )
    recorded_by = serializers.EmailField(
        source="recorded_by.email", read_only=True, allow_null=True, help_text="Who recorded or imported it."
    )

    class Meta:
        model = TaskCompletion
        fields = [
            "task",
            "task_title",
            "task_reference",
            "core",
            "course",
            "completed_on",
            "source",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class TaskCompletionRecordSerializer(serializers.Serializer):
    task = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="Id of a task of the place's programme (GET /api/v1/components/{id}/ lists a course's tasks).",
    )
    completed_on = ThisCenturyDateField(help_text="The day it was completed: today or earlier.")


TASKS_HINT = "GET /api/v1/components/{id}/ lists an online course's tasks."


class TaskCompletionsView(APIView):
    """The online-course tasks a place has completed; provider admins record them."""

    @extend_schema(
        summary="A place's completed tasks",
        parameters=[ENROLMENT_ID],
        responses={200: TaskCompletionSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: str) -> Response:
        enrolment = api_selectors.enrolment_to_read(user=request.user, pk=url_pk({"pk": pk}))
        completions = api_selectors.task_completion_list(enrolment=enrolment)
        return Response(TaskCompletionSerializer(completions, many=True).data)

    @extend_schema(
        summary="Record a completed task",
        description="Record that the participant completed a task of their programme on a day. Recording it "
        "again changes the day.",
        parameters=[ENROLMENT_ID],
        request=TaskCompletionRecordSerializer,
        responses={201: TaskCompletionSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: str) -> Response:
        enrolment = learning_selectors.enrolment_for_learning(user=request.user, pk=url_pk({"pk": pk}))
        data = _valid(request, TaskCompletionRecordSerializer)
        try:
            task = api_selectors.provider_task(provider_id=enrolment.provider_id, pk=data["task"])
        except Http404:
            raise _not_seen("task", "task", data["task"], TASKS_HINT) from None
        completion = learning_services.task_completion_record(
            by=request.user, enrolment=enrolment, task=task, completed_on=data["completed_on"]
        )
        completion = api_selectors.task_completion_list(enrolment=enrolment).get(pk=completion.pk)
        return Response(TaskCompletionSerializer(completion).data, status=status.HTTP_201_CREATED)


class TaskCompletionView(APIView):
    @extend_schema(
        summary="Take away a completed task",
        description="Remove a task's completion recorded by mistake.",
        parameters=[ENROLMENT_ID, TASK_ID],
        request=None,
        responses={204: None, **ERROR_RESPONSES},
    )
    def delete(self, request: Request, pk: str, task_pk: str) -> Response:
        enrolment = learning_selectors.enrolment_for_learning(user=request.user, pk=url_pk({"pk": pk}))
        task_id = url_pk({"pk": task_pk})
        try:
            completion = api_selectors.task_completion_get(enrolment=enrolment, task_pk=task_id)
        except Http404:
            raise exceptions.NotFound(
                f"No completion of task {task_id} is recorded for this place. GET its task-completions/ to see "
                "which are."
            ) from None
        learning_services.task_completion_remove(by=request.user, enrolment=enrolment, task=completion.task)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Coaching -----------------------------------------------------------------------------------------------


class CoachingSessionSerializer(serializers.ModelSerializer):
    enrolment = serializers.PrimaryKeyRelatedField(read_only=True)
    component = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Id of its coaching component.")
    component_title = serializers.CharField(source="component.title", read_only=True)
    coach = serializers.EmailField(
        source="coach.email", read_only=True, allow_null=True, help_text="The place's coach at the time."
    )
    logged_by = serializers.EmailField(source="logged_by.email", read_only=True, allow_null=True)

    class Meta:
        model = CoachingSession
        fields = [
            "id",
            "enrolment",
            "component",
            "component_title",
            "held_on",
            "minutes",
            "focus",
            "coach",
            "logged_by",
            "logged_at",
        ]
        read_only_fields = fields


class CoachingSessionLogSerializer(serializers.Serializer):
    held_on = ThisCenturyDateField(help_text="The day it was held: from the cohort's start to today.")
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=log_services.MOST_MINUTES,
        help_text="How long it lasted, in whole minutes.",
        error_messages={
            "min_value": f"Enter how long the session lasted as 1 to {log_services.MOST_MINUTES} minutes.",
            "max_value": f"Enter how long the session lasted as 1 to {log_services.MOST_MINUTES} minutes.",
        },
    )
    focus = serializers.CharField(
        max_length=log_services.FOCUS_LENGTH,
        help_text="What the session focused on.",
        error_messages={
            "blank": "Enter what the session focused on, for example “Leading change in the trust”.",
            "max_length": f"Enter the focus in {log_services.FOCUS_LENGTH} characters or fewer.",
        },
    )
    component = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="Id of the programme's coaching component; leave it out where the programme has one.",
    )


class CoachingSessionsView(APIView):
    """The coaching logged for a place; its coach or a provider admin logs it."""

    @extend_schema(
        summary="A place's coaching sessions",
        parameters=[ENROLMENT_ID],
        responses={200: CoachingSessionSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: str) -> Response:
        enrolment = log_selectors.coaching_place(user=request.user, pk=url_pk({"pk": pk}))
        sessions = log_selectors.coaching_sessions_of(enrolment=enrolment)
        return Response(CoachingSessionSerializer(sessions, many=True).data)

    @extend_schema(
        summary="Log a coaching session",
        description="Newest first when listed. A place is coached while accepted, active or deferred.",
        parameters=[ENROLMENT_ID],
        request=CoachingSessionLogSerializer,
        responses={201: CoachingSessionSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: str) -> Response:
        enrolment = log_selectors.coaching_place(user=request.user, pk=url_pk({"pk": pk}))
        data = _valid(request, CoachingSessionLogSerializer)
        component_pk = data.pop("component", None)
        component = None
        if component_pk is not None:
            try:
                component = api_selectors.provider_component(
                    provider_id=enrolment.provider_id, pk=component_pk
                )
            except Http404:
                raise _not_seen("component", "component", component_pk) from None
        session = log_services.coaching_session_log(
            by=request.user, enrolment=enrolment, component=component, **data
        )
        return Response(CoachingSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class CoachingSessionView(APIView):
    @extend_schema(
        summary="Remove a coaching session",
        description="Take back a coaching session logged by mistake: a provider admin any of the place's, its "
        "coach those they held or logged.",
        parameters=[COACHING_SESSION_ID],
        request=None,
        responses={204: None, **ERROR_RESPONSES},
    )
    def delete(self, request: Request, pk: str) -> Response:
        session = log_selectors.coaching_session_for_change(user=request.user, pk=url_pk({"pk": pk}))
        try:
            log_services.coaching_session_remove(by=request.user, session=session)
        except DomainError as error:
            raise _no_field(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


# Feedback -----------------------------------------------------------------------------------------------


class RateSerializer(serializers.Serializer):
    session = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        help_text="Id of a session of your timetable that has ended; null to rate the whole programme.",
    )
    rating = serializers.IntegerField(
        min_value=0,
        max_value=10,
        help_text="From 0 (not at all good) to 10 (excellent).",
        error_messages={
            "min_value": "Choose a rating from 0 (not at all good) to 10 (excellent).",
            "max_value": "Choose a rating from 0 (not at all good) to 10 (excellent).",
        },
    )
    comment = serializers.CharField(
        allow_blank=True,
        default="",
        max_length=feedback_services.COMMENT_LENGTH,
        help_text="Anything you want to say about it (optional).",
        error_messages={
            "max_length": f"Write your comment in {feedback_services.COMMENT_LENGTH} characters or fewer."
        },
    )


class FeedbackRatingSerializer(serializers.ModelSerializer):
    enrolment = serializers.PrimaryKeyRelatedField(read_only=True)
    session = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Null: the rating of the whole programme."
    )

    class Meta:
        model = FeedbackRating
        fields = ["enrolment", "session", "rating", "comment", "rated_at"]
        read_only_fields = fields


class RatingCountSerializer(serializers.Serializer):
    rating = serializers.IntegerField(read_only=True)
    count = serializers.IntegerField(read_only=True, help_text="How many people gave this rating.")


class SessionResultsSerializer(serializers.Serializer):
    session = serializers.IntegerField(read_only=True)
    shown = serializers.BooleanField(
        read_only=True,
        help_text=f"At least {MIN_RATINGS} people have rated it. Until then count, mean, distribution and "
        "comments are empty, so that nobody can be identified.",
    )
    min_ratings = serializers.IntegerField(read_only=True, help_text="Ratings needed before results show.")
    count = serializers.IntegerField(read_only=True, allow_null=True)
    mean = serializers.DecimalField(
        max_digits=4, decimal_places=2, read_only=True, allow_null=True, help_text="To two decimals, half up."
    )
    distribution = RatingCountSerializer(
        many=True, read_only=True, help_text="How many gave each rating, 0 to 10."
    )
    comments = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="In alphabetical order, which says nothing about who wrote them or when.",
    )


class EnrolmentFeedbackView(APIView):
    """A participant rates the sessions of their own timetable, and the whole programme at its end."""

    @extend_schema(
        summary="Rate a session or the programme",
        description="Only the participant, for their own place. A session once it has ended, if the register "
        "does not show them absent; the programme once they have finished it (or its last session has "
        "ended). Rating again replaces the earlier rating.",
        parameters=[ENROLMENT_ID],
        request=RateSerializer,
        responses={201: FeedbackRatingSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: str) -> Response:
        enrolment = log_selectors.own_place(user=request.user, pk=url_pk({"pk": pk}))
        data = _valid(request, RateSerializer)
        rating, comment = data["rating"], data["comment"]
        if data["session"] is None:
            saved = feedback_services.feedback_rate_programme(
                by=request.user, enrolment=enrolment, rating=rating, comment=comment
            )
        else:
            try:
                session = feedback_selectors.own_session_to_rate(
                    enrolment=enrolment, session_pk=data["session"]
                )
            except Http404:
                raise serializers.ValidationError(
                    {
                        "session": [
                            f"Session {data['session']} is not on your timetable. Give the id of one of your own "
                            "sessions, or null to rate the whole programme."
                        ]
                    }
                ) from None
            saved = feedback_services.feedback_rate_session(
                by=request.user, enrolment=enrolment, session=session, rating=rating, comment=comment
            )
        return Response(FeedbackRatingSerializer(saved).data, status=status.HTTP_201_CREATED)


class SessionFeedbackView(APIView):
    """A session's ratings as results only: never who gave which."""

    @extend_schema(
        summary="A session's feedback results",
        parameters=[SESSION_ID],
        responses={200: SessionResultsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: str) -> Response:
        session = feedback_selectors.feedback_session(user=request.user, pk=url_pk({"pk": pk}))
        results = feedback_selectors.session_results(session=session)
        data = {
            "session": session.pk,
            "shown": results.shown,
            "min_ratings": MIN_RATINGS,
            "count": results.count,
            "mean": results.mean,
            "distribution": [{"rating": r, "count": n} for r, n in results.distribution],
            "comments": list(results.comments),
        }
        return Response(SessionResultsSerializer(data).data)


# Engagement ---------------------------------------------------------------------------------------------


class EngagementComponentSerializer(serializers.Serializer):
    component = serializers.IntegerField(source="part.component_id", read_only=True)
    title = serializers.CharField(read_only=True)
    evidence = serializers.ChoiceField(
        choices=list(EVIDENCE_LABELS.items()),
        source="part.evidence",
        read_only=True,
        help_text="How it is evidenced: attendance at its sessions, core tasks, logged hours or coaching, or "
        "recorded as done.",
    )
    counts = serializers.BooleanField(
        source="part.counted",
        read_only=True,
        help_text="It counts toward the engagement percentage (it counts and has planned hours).",
    )
    required = serializers.BooleanField(source="part.required", read_only=True)
    planned_hours = hours_field("Its guided learning hours (or its sessions' length).", "part.planned_hours")
    credited_hours = hours_field("The hours credited to the place so far.", "part.credited_hours")
    progress = serializers.CharField(
        read_only=True, help_text="e.g. “3 of 4 sessions attended (1 still to come)”."
    )
    done = serializers.BooleanField(source="part.done", read_only=True)


class EngagementSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(source="enrolment.pk", read_only=True)
    percent = percent_field(
        "Credited ÷ planned hours of the components that count, over the whole programme; null where nothing "
        "can be measured (no component that counts has hours).",
        "figures.percent",
    )
    to_date_percent = percent_field(
        "The same of what has been due so far (sessions held, self-paced work in proportion to time).",
        "figures.to_date_percent",
    )
    max_percent = percent_field(
        "The most still possible, taking part in everything left.", "figures.max_percent"
    )
    planned_hours = hours_field("Planned hours of the components that count.", "figures.planned_hours")
    credited_hours = hours_field("Hours credited of them.", "figures.credited_hours")
    core_tasks_done = serializers.IntegerField(source="figures.core_tasks_done", read_only=True)
    core_tasks_total = serializers.IntegerField(source="figures.core_tasks_total", read_only=True)
    required_missing = serializers.IntegerField(
        source="figures.required_missing",
        read_only=True,
        help_text="Required components outside the percentage not yet done.",
    )
    meets_threshold = serializers.BooleanField(source="figures.meets_threshold", read_only=True)
    eligible = serializers.BooleanField(
        source="figures.eligible",
        read_only=True,
        help_text="May present for final assessment: meets the threshold, every core task done, and every "
        "required component done.",
    )
    at_risk = serializers.BooleanField(read_only=True, help_text="at_risk_reasons is not empty.")
    at_risk_reasons = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Why the place is at risk (engagement, its deadline with nothing submitted, a long deferral); "
        "empty when it is not. Only active and deferred places can be at risk.",
    )
    threshold = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        read_only=True,
        source="enrolment.cohort.programme.engagement_threshold",
        help_text="The programme's engagement threshold, in percent.",
    )
    comparison = serializers.ChoiceField(
        choices=Programme.Comparison.choices,
        read_only=True,
        source="enrolment.cohort.programme.engagement_comparison",
        help_text="How percent is compared with the threshold.",
    )
    summary = serializers.CharField(source="explanation.summary", read_only=True)
    missing = serializers.ListField(
        child=serializers.CharField(),
        source="explanation.missing",
        read_only=True,
        help_text="What stands between the place and eligibility.",
    )
    next_steps = serializers.ListField(
        child=serializers.CharField(), source="explanation.next_steps", read_only=True
    )
    components = EngagementComponentSerializer(
        many=True, read_only=True, help_text="Each component of the programme, in programme order."
    )
    computed_at = serializers.DateTimeField(
        source="measured_at", read_only=True, help_text="When it was measured: as this request was answered."
    )


class EnrolmentEngagementView(APIView):
    """A place's engagement and eligibility, measured as the request is answered, explained."""

    @extend_schema(
        summary="A place's engagement and eligibility",
        description="Measured fresh for this request (the figures on the enrolment list are the stored ones, "
        "recomputed seconds after each change). Provider admins and platform staff for any place of the "
        "provider; a participant for their own.",
        parameters=[ENROLMENT_ID],
        responses={200: EngagementSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: str) -> Response:
        enrolment = api_selectors.engagement_place(user=request.user, pk=url_pk({"pk": pk}))
        report = api_selectors.engagement_report(enrolment=enrolment)
        return Response(EngagementSerializer(report).data)


# For npqel/api_urls.py: (path, view, name), each path under /api/v1/ and each name under `api:`.
URLS: list[tuple[str, Callable[..., Any], str]] = [
    (r"^sessions/(?P<pk>[^/.]+)/attendance/$", SessionAttendanceView.as_view(), "session-attendance"),
    (r"^sessions/(?P<pk>[^/.]+)/feedback/$", SessionFeedbackView.as_view(), "session-feedback"),
    (
        r"^enrolments/(?P<pk>[^/.]+)/task-completions/$",
        TaskCompletionsView.as_view(),
        "enrolment-task-completions",
    ),
    (
        r"^enrolments/(?P<pk>[^/.]+)/task-completions/(?P<task_pk>[^/.]+)/$",
        TaskCompletionView.as_view(),
        "enrolment-task-completion",
    ),
    (
        r"^enrolments/(?P<pk>[^/.]+)/coaching-sessions/$",
        CoachingSessionsView.as_view(),
        "enrolment-coaching-sessions",
    ),
    (r"^coaching-sessions/(?P<pk>[^/.]+)/$", CoachingSessionView.as_view(), "coaching-session-detail"),
    (r"^enrolments/(?P<pk>[^/.]+)/feedback/$", EnrolmentFeedbackView.as_view(), "enrolment-feedback"),
    (r"^enrolments/(?P<pk>[^/.]+)/engagement/$", EnrolmentEngagementView.as_view(), "enrolment-engagement"),
]
