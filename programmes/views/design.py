"""Pages for designing a programme: the programme, its rules, content framework, components and online courses.

Everyone who may see a provider's cohorts reads these pages; only its provider admins change anything
(every write goes through programmes.services). Forms embedded in a page post to their own "add" address;
when what was typed needs fixing, that page is shown again with the error next to the field and the
typing kept.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.forms import add_domain_error
from npqel.words import plural
from programmes import selectors, services
from programmes.forms.design import (
    BehaviourForm,
    ComponentForm,
    ContentAreaForm,
    ExtensionForm,
    FeeOptionForm,
    ModuleForm,
    PlacementOptionForm,
    ProgrammeForm,
    StatementForm,
    TaskForm,
)
from programmes.models import (
    Component,
    ContentArea,
    DeadlineExtension,
    FeeOption,
    LeadershipBehaviour,
    LearningStatement,
    Module,
    PlacementOption,
    Programme,
    Task,
)
from programmes.wording import deadline_text, engagement_text, fee_text, kinds_text

# Paths from each part of a programme to its provider, for programme_part_get.
VIA_PROGRAMME = "programme__provider"
VIA_AREA = "area__programme__provider"
VIA_COURSE = "course__programme__provider"
VIA_MODULE = "module__course__programme__provider"


# Words for the rules ----------------------------------------------------------------------------------


def _may_manage(request: HttpRequest, programme: Programme) -> bool:
    return access_for(request.user).may(Action.MANAGE_PROGRAMMES, programme.provider_id)


def _fixing(form: Form | None) -> Form | None:
    """The embedded form the person must fix, if any (its errors are summarised at the top of the page)."""
    return form if form is not None and form.errors else None


# Programmes -------------------------------------------------------------------------------------------


@login_required
def programme_create(request: HttpRequest, slug: str) -> HttpResponse:
    provider = selectors.provider_get(user=request.user, slug=slug, action=Action.MANAGE_PROGRAMMES)
    form = ProgrammeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(by=request.user, provider=provider, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{programme.name} created. Add its components next.")
            return redirect("programme_detail", pk=programme.pk)
    return render(
        request,
        "programmes/design/programme_form.html",
        {"form": form, "provider": provider, "programme": None, "name": ""},
    )


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The programme, its rules in brief, its components with their hours by mode, and its cohorts."""
    programme = selectors.programme_get(user=request.user, pk=pk)
    components = list(selectors.component_list(programme=programme))
    return render(
        request,
        "programmes/design/programme_detail.html",
        {
            "programme": programme,
            "can_manage": _may_manage(request, programme),
            "engagement": engagement_text(programme),
            "kinds": kinds_text(programme),
            "deadline": deadline_text(programme),
            "fees": [(fee, fee_text(fee)) for fee in programme.fee_options.all()],
            "components": components,
            "totals": selectors.hour_totals(components),
            "cohorts": selectors.programme_cohort_list(programme=programme),
        },
    )


@login_required
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    name = programme.name  # as saved: the heading keeps it even if a change is refused
    form = ProgrammeForm(request.POST if request.method == "POST" else None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_update(by=request.user, programme=programme, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{programme.name} saved.")
            return redirect("programme_detail", pk=programme.pk)
    return render(
        request,
        "programmes/design/programme_form.html",
        {"form": form, "provider": programme.provider, "programme": programme, "name": name},
    )


# Rules: deadline policies, fees and placements --------------------------------------------------------


def _rules_page(
    request: HttpRequest,
    programme: Programme,
    *,
    extension_form: ExtensionForm | None = None,
    fee_form: FeeOptionForm | None = None,
    placement_form: PlacementOptionForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "programmes/design/programme_rules.html",
        {
            "programme": programme,
            "can_manage": _may_manage(request, programme),
            "deadline": deadline_text(programme),
            "extensions": sorted(programme.extensions.all(), key=lambda e: e.applies_from),
            "fees": [(fee, fee_text(fee)) for fee in programme.fee_options.all()],
            "placements": programme.placement_options.all(),
            "extension_form": extension_form or ExtensionForm(),
            "fee_form": fee_form or FeeOptionForm(),
            "placement_form": placement_form or PlacementOptionForm(),
            "failed_form": _fixing(extension_form) or _fixing(fee_form) or _fixing(placement_form),
        },
    )


@login_required
def programme_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """The programme's deadline policies, fees with their instalments, and placement options."""
    return _rules_page(request, selectors.programme_get(user=request.user, pk=pk))


def _rules_url(programme_id: int, anchor: str) -> str:
    return reverse("programme_rules", kwargs={"pk": programme_id}) + f"#{anchor}"


@login_required
@require_POST
def extension_add(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            extension = services.extension_add(by=request.user, programme=programme, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"Deadline added: {plural(extension.months, 'month')} for participants starting on or after "
                f"{extension.applies_from:%-d %B %Y}.",
            )
            return redirect(_rules_url(programme.pk, "deadlines"))
    return _rules_page(request, programme, extension_form=form)


@login_required
@require_POST
def extension_remove(request: HttpRequest, pk: int) -> HttpResponse:
    extension = selectors.programme_part_get(DeadlineExtension, user=request.user, pk=pk, via=VIA_PROGRAMME)
    services.extension_remove(by=request.user, extension=extension)
    messages.success(
        request, f"The deadline for starts on or after {extension.applies_from:%-d %B %Y} was removed."
    )
    return redirect(_rules_url(extension.programme_id, "deadlines"))


@login_required
@require_POST
def fee_option_add(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = FeeOptionForm(request.POST)
    if form.is_valid():
        try:
            fee = services.fee_option_add(by=request.user, programme=programme, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Fee “{fee.name}” added.")
            return redirect(_rules_url(programme.pk, "fees"))
    return _rules_page(request, programme, fee_form=form)


@login_required
@require_POST
def fee_option_remove(request: HttpRequest, pk: int) -> HttpResponse:
    fee = selectors.programme_part_get(FeeOption, user=request.user, pk=pk, via=VIA_PROGRAMME)
    services.fee_option_remove(by=request.user, fee_option=fee)
    messages.success(request, f"Fee “{fee.name}” removed.")
    return redirect(_rules_url(fee.programme_id, "fees"))


@login_required
@require_POST
def placement_option_add(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = PlacementOptionForm(request.POST)
    if form.is_valid():
        try:
            placement = services.placement_option_add(
                by=request.user, programme=programme, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Placement “{placement.name}” added ({placement.cost_text.lower()}).")
            return redirect(_rules_url(programme.pk, "placements"))
    return _rules_page(request, programme, placement_form=form)


@login_required
@require_POST
def placement_option_remove(request: HttpRequest, pk: int) -> HttpResponse:
    placement = selectors.programme_part_get(PlacementOption, user=request.user, pk=pk, via=VIA_PROGRAMME)
    services.placement_option_remove(by=request.user, placement_option=placement)
    messages.success(request, f"Placement “{placement.name}” removed.")
    return redirect(_rules_url(placement.programme_id, "placements"))


# Content framework ------------------------------------------------------------------------------------


def _content_page(
    request: HttpRequest,
    programme: Programme,
    *,
    area_form: ContentAreaForm | None = None,
    behaviour_form: BehaviourForm | None = None,
    statement_form: StatementForm | None = None,
    statement_area_id: int | None = None,
) -> HttpResponse:
    can_manage = _may_manage(request, programme)
    areas = list(selectors.content_area_list(programme=programme))
    covered_by: dict[int, list[Component]] = {area.pk: [] for area in areas}
    for component in selectors.component_list(programme=programme):
        for area in component.content_areas.all():
            covered_by.setdefault(area.pk, []).append(component)
    rows = []
    for area in areas:
        statements = list(area.statements.all())
        if area.pk == statement_area_id and statement_form is not None:
            form = statement_form
        else:
            form = StatementForm(id_prefix=f"statement-{area.pk}") if can_manage else None
        rows.append(
            {
                "area": area,
                "learn_that": [s for s in statements if s.kind == LearningStatement.Kind.LEARN_THAT],
                "learn_how": [s for s in statements if s.kind == LearningStatement.Kind.LEARN_HOW],
                "components": covered_by[area.pk],
                "statement_form": form,
            }
        )
    return render(
        request,
        "programmes/design/content_framework.html",
        {
            "programme": programme,
            "can_manage": can_manage,
            "areas": rows,
            "behaviours": selectors.behaviour_list(programme=programme),
            "area_form": area_form or ContentAreaForm(programme=programme),
            "behaviour_form": behaviour_form or BehaviourForm(),
            "failed_form": _fixing(area_form) or _fixing(behaviour_form) or _fixing(statement_form),
        },
    )


@login_required
def content_framework(request: HttpRequest, pk: int) -> HttpResponse:
    """Content areas (legacy) or areas of study (reformed) with their statements, the leadership
    behaviours, and which components cover each area."""
    return _content_page(request, selectors.programme_get(user=request.user, pk=pk))


def _content_url(programme_id: int, anchor: str) -> str:
    return reverse("content_framework", kwargs={"pk": programme_id}) + f"#{anchor}"


@login_required
@require_POST
def content_area_add(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = ContentAreaForm(request.POST, programme=programme)
    if form.is_valid():
        try:
            area = services.content_area_create(by=request.user, programme=programme, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"“{area.title}” added.")
            return redirect(_content_url(programme.pk, f"area-{area.pk}"))
    return _content_page(request, programme, area_form=form)


@login_required
def content_area_edit(request: HttpRequest, pk: int) -> HttpResponse:
    area = selectors.programme_part_get(ContentArea, user=request.user, pk=pk, via=VIA_PROGRAMME)
    programme, title = area.programme, area.title
    form = ContentAreaForm(
        request.POST if request.method == "POST" else None,
        programme=programme,
        initial={"title": area.title},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.content_area_update(by=request.user, area=area, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Renamed to “{area.title}”.")
            return redirect(_content_url(programme.pk, f"area-{area.pk}"))
    return render(
        request,
        "programmes/design/simple_form.html",
        {
            "form": form,
            "programme": programme,
            "heading": f"Rename “{title}”",
            "button": "Save",
            "back_url": _content_url(programme.pk, f"area-{area.pk}"),
            "back_text": f"Back to the {programme.content_area_label.lower()}",
        },
    )


@login_required
@require_POST
def content_area_remove(request: HttpRequest, pk: int) -> HttpResponse:
    area = selectors.programme_part_get(ContentArea, user=request.user, pk=pk, via=VIA_PROGRAMME)
    services.content_area_remove(by=request.user, area=area)
    messages.success(
        request, f"“{area.title}” removed, with its statements. Components no longer link to it."
    )
    return redirect(_content_url(area.programme_id, "areas"))


@login_required
@require_POST
def statement_add(request: HttpRequest, pk: int) -> HttpResponse:
    area = selectors.programme_part_get(ContentArea, user=request.user, pk=pk, via=VIA_PROGRAMME)
    form = StatementForm(request.POST, id_prefix=f"statement-{area.pk}")
    if form.is_valid():
        try:
            services.statement_add(by=request.user, area=area, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Statement added to “{area.title}”.")
            return redirect(_content_url(area.programme_id, f"area-{area.pk}"))
    programme = selectors.programme_get(
        user=request.user, pk=area.programme_id, action=Action.MANAGE_PROGRAMMES
    )
    return _content_page(request, programme, statement_form=form, statement_area_id=area.pk)


@login_required
@require_POST
def statement_remove(request: HttpRequest, pk: int) -> HttpResponse:
    statement = selectors.programme_part_get(LearningStatement, user=request.user, pk=pk, via=VIA_AREA)
    area = statement.area
    services.statement_remove(by=request.user, statement=statement)
    messages.success(request, f"Statement removed from “{area.title}”.")
    return redirect(_content_url(area.programme_id, f"area-{area.pk}"))


@login_required
@require_POST
def behaviour_add(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = BehaviourForm(request.POST)
    if form.is_valid():
        try:
            behaviour = services.behaviour_add(by=request.user, programme=programme, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Leadership behaviour “{behaviour.title}” added.")
            return redirect(_content_url(programme.pk, "behaviours"))
    return _content_page(request, programme, behaviour_form=form)


@login_required
@require_POST
def behaviour_remove(request: HttpRequest, pk: int) -> HttpResponse:
    behaviour = selectors.programme_part_get(LeadershipBehaviour, user=request.user, pk=pk, via=VIA_PROGRAMME)
    services.behaviour_remove(by=request.user, behaviour=behaviour)
    messages.success(request, f"Leadership behaviour “{behaviour.title}” removed.")
    return redirect(_content_url(behaviour.programme_id, "behaviours"))


# Components -------------------------------------------------------------------------------------------


def _component_form_page(
    request: HttpRequest,
    form: ComponentForm,
    programme: Programme,
    component: Component | None,
    title: str = "",
) -> HttpResponse:
    return render(
        request,
        "programmes/design/component_form.html",
        {"form": form, "programme": programme, "component": component, "title": title},
    )


@login_required
def component_create(request: HttpRequest, pk: int) -> HttpResponse:
    programme = selectors.programme_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = ComponentForm(
        request.POST if request.method == "POST" else None,
        programme=programme,
        areas=selectors.content_area_list(programme=programme),
    )
    if request.method == "POST" and form.is_valid():
        try:
            component = services.component_create(
                by=request.user, programme=programme, **form.service_arguments()
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            next_step = " Add its modules next." if component.is_online_course else ""
            messages.success(request, f"“{component.title}” added to the programme.{next_step}")
            if component.is_online_course:
                return redirect("component_detail", pk=component.pk)
            return redirect(reverse("programme_detail", kwargs={"pk": programme.pk}) + "#components")
    return _component_form_page(request, form, programme, None)


def _component_page(
    request: HttpRequest,
    component: Component,
    *,
    module_form: ModuleForm | None = None,
    task_form: TaskForm | None = None,
    task_module_id: int | None = None,
) -> HttpResponse:
    can_manage = _may_manage(request, component.programme)
    modules = []
    for module in component.modules.all():
        if module.pk == task_module_id and task_form is not None:
            form = task_form
        else:
            form = TaskForm(id_prefix=f"task-{module.pk}") if can_manage else None
        modules.append({"module": module, "tasks": module.tasks.all(), "task_form": form})
    return render(
        request,
        "programmes/design/component_detail.html",
        {
            "component": component,
            "programme": component.programme,
            "can_manage": can_manage,
            "modules": modules,
            "module_form": module_form or ModuleForm(),
            "failed_form": _fixing(module_form) or _fixing(task_form),
        },
    )


@login_required
def component_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A component and, for an online course, its modules with their core and optional tasks."""
    return _component_page(request, selectors.component_get(user=request.user, pk=pk))


@login_required
def component_edit(request: HttpRequest, pk: int) -> HttpResponse:
    component = selectors.component_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    programme, title = component.programme, component.title
    form = ComponentForm(
        request.POST if request.method == "POST" else None,
        programme=programme,
        areas=selectors.content_area_list(programme=programme),
        component=component,
    )
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            services.component_update(
                by=request.user,
                component=component,
                content_areas=arguments.pop("content_areas"),
                **arguments,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"“{component.title}” saved.")
            return redirect("component_detail", pk=component.pk)
    return _component_form_page(request, form, programme, component, title)


@login_required
@require_POST
def component_remove(request: HttpRequest, pk: int) -> HttpResponse:
    component = selectors.component_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    try:
        services.component_remove(by=request.user, component=component)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("component_detail", pk=component.pk)
    messages.success(request, f"“{component.title}” removed from the programme.")
    return redirect(reverse("programme_detail", kwargs={"pk": component.programme_id}) + "#components")


# Modules and tasks of online courses -------------------------------------------------------------------


def _component_url(component_id: int, anchor: str) -> str:
    return reverse("component_detail", kwargs={"pk": component_id}) + f"#{anchor}"


@login_required
@require_POST
def module_add(request: HttpRequest, pk: int) -> HttpResponse:
    course = selectors.component_get(user=request.user, pk=pk, action=Action.MANAGE_PROGRAMMES)
    form = ModuleForm(request.POST)
    if form.is_valid():
        try:
            module = services.module_create(by=request.user, course=course, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Module “{module.title}” added. Add its tasks next.")
            return redirect(_component_url(course.pk, f"module-{module.pk}"))
    return _component_page(request, course, module_form=form)


def _simple_form_page(
    request: HttpRequest, form: Form, *, component: Component, heading: str, anchor: str
) -> HttpResponse:
    return render(
        request,
        "programmes/design/simple_form.html",
        {
            "form": form,
            "programme": component.programme,
            "heading": heading,
            "button": "Save",
            "back_url": _component_url(component.pk, anchor),
            "back_text": f"Back to {component.title}",
        },
    )


@login_required
def module_edit(request: HttpRequest, pk: int) -> HttpResponse:
    module = selectors.programme_part_get(Module, user=request.user, pk=pk, via=VIA_COURSE)
    title = module.title
    form = ModuleForm(request.POST if request.method == "POST" else None, initial={"title": title})
    if request.method == "POST" and form.is_valid():
        try:
            services.module_update(by=request.user, module=module, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Module renamed to “{module.title}”.")
            return redirect(_component_url(module.course_id, f"module-{module.pk}"))
    return _simple_form_page(
        request,
        form,
        component=module.course,
        heading=f"Rename module “{title}”",
        anchor=f"module-{module.pk}",
    )


@login_required
@require_POST
def module_remove(request: HttpRequest, pk: int) -> HttpResponse:
    module = selectors.programme_part_get(Module, user=request.user, pk=pk, via=VIA_COURSE)
    services.module_remove(by=request.user, module=module)
    messages.success(request, f"Module “{module.title}” removed, with its tasks.")
    return redirect(_component_url(module.course_id, "modules"))


@login_required
@require_POST
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    module = selectors.programme_part_get(Module, user=request.user, pk=pk, via=VIA_COURSE)
    form = TaskForm(request.POST, id_prefix=f"task-{module.pk}")
    if form.is_valid():
        try:
            task = services.task_create(by=request.user, module=module, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            kind = "Core" if task.core else "Optional"
            messages.success(request, f"{kind} task “{task.title}” added to “{module.title}”.")
            return redirect(_component_url(module.course_id, f"module-{module.pk}"))
    course = selectors.component_get(user=request.user, pk=module.course_id, action=Action.MANAGE_PROGRAMMES)
    return _component_page(request, course, task_form=form, task_module_id=module.pk)


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.programme_part_get(Task, user=request.user, pk=pk, via=VIA_MODULE)
    title = task.title
    form = TaskForm(
        request.POST if request.method == "POST" else None,
        initial={"title": title, "core": task.core, "reference": task.reference},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(by=request.user, task=task, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Task “{task.title}” saved ({'core' if task.core else 'optional'}).")
            return redirect(_component_url(task.module.course_id, f"module-{task.module_id}"))
    return _simple_form_page(
        request,
        form,
        component=task.module.course,
        heading=f"Change task “{title}”",
        anchor=f"module-{task.module_id}",
    )


@login_required
@require_POST
def task_remove(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.programme_part_get(Task, user=request.user, pk=pk, via=VIA_MODULE)
    module = task.module
    services.task_remove(by=request.user, task=task)
    messages.success(request, f"Task “{task.title}” removed from “{module.title}”.")
    return redirect(_component_url(module.course_id, f"module-{module.pk}"))
