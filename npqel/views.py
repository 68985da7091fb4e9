from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from npqel.access import Action, Role, access_for
from participants.progress import participant_home
from programmes.selectors import provider_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting page: what is theirs to look at, and what to do next. A participant sees, for
    each of their places, what is next, their status, deadline, progress, what makes them eligible for the
    final assessment, and their funding."""
    access = access_for(request.user)
    context = {
        "roles": access.roles,
        "providers": provider_list(user=request.user) if access.anywhere(Action.VIEW_PROVIDER) else None,
        "participant": participant_home(user=request.user) if Role.PARTICIPANT in access.roles else None,
        "is_moderator": access.moderator,
        "is_assessor": access.anywhere(Action.MARK_SCRIPTS),
        "is_platform_staff": access.platform_staff,
    }
    return render(request, "home.html", context)
