"""Navigation that depends on the signed-in user's roles."""

from django.http import HttpRequest
from django.urls import reverse

from npqel.access import ROLE_LABELS, Action, Role, access_for


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    access = access_for(user)
    if access.user_id is None:
        return {"nav_items": [], "role_labels": []}
    items = [("Home", reverse("home"))]
    if access.anywhere(Action.VIEW_PROVIDER):
        items.append(("Providers", reverse("provider_list")))
    if access.provider_ids(Action.VIEW_COHORTS):
        items.append(("My sessions", reverse("my_sessions")))
    if Role.COACH in access.roles:
        items.append(("People you coach", reverse("coachees")))
    if access.anywhere(Action.MARK_SCRIPTS):
        items.append(("Your marking", reverse("marking_queue")))
    if access.moderator:
        items.append(("Moderation", reverse("moderation_queue")))
    items.append(("Calendar", reverse("calendar")))
    if access.platform_staff:
        items.append(("Platform people", reverse("platform_people")))
    items.append(("Your account", reverse("account")))
    path = request.path
    nav = [
        {"label": label, "href": href, "active": path == href or (href != "/" and path.startswith(href))}
        for label, href in items
    ]
    return {"nav_items": nav, "role_labels": [ROLE_LABELS[r] for r in sorted(access.roles)]}
