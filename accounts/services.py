"""Every write to accounts: invitations, joining, API tokens."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, Invitation, User
from npqel import access
from npqel.access import Action
from npqel.errors import DomainError
from npqel.jobs import enqueue
from participants.models import Enrolment
from programmes.models import Provider, StaffMembership

INVITATION_SALT = "npqel.invitation"
CROSS_PROVIDER_ROLES = {Invitation.Role.MODERATOR, Invitation.Role.PLATFORM_STAFF}


def invitation_link(invitation: Invitation) -> str:
    token = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)
    return settings.SITE_URL.rstrip("/") + reverse("invitation_accept", kwargs={"token": token})


@transaction.atomic
def invitation_create(
    *, invited_by: User, email: str, role: str, provider: Provider | None, full_name: str = ""
) -> Invitation:
    """Invite a person to a role; the email with the one-time link is sent after commit."""
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Invitation.Role.values:
        raise DomainError(
            f"“{role}” is not a role. Choose one of: {', '.join(Invitation.Role.values)}.", field="role"
        )
    if role in CROSS_PROVIDER_ROLES:
        if not access.access_for(invited_by).platform_staff:
            raise DomainError("Only platform staff can invite moderators and platform staff.", field="role")
        provider = None
    else:
        if provider is None:
            raise DomainError("Choose the provider this person will work for.", field="provider")
        if not access.access_for(invited_by).may(Action.MANAGE_PEOPLE, provider.pk):
            raise DomainError(
                "You can only invite people to a provider whose people you manage.", field="provider"
            )
    existing = User.objects.filter(email__iexact=email).first()
    if role == Invitation.Role.PARTICIPANT:
        # Participants join by being enrolled; their invitation only lets them set a password.
        if (
            existing is None
            or not Enrolment.objects.filter(participant__user=existing, provider=provider).exists()
        ):
            raise DomainError(
                f"{email} has no place at this provider. Enrol them on a cohort first (for example by importing "
                "a spreadsheet), then send their invitation.",
                field="email",
            )
        if existing.has_usable_password():
            raise DomainError(f"{email} has already set up their account.", field="email")
    elif existing and _holds_role(existing, role, provider):
        raise DomainError(f"{email} already has this role.", field="email")
    pending = Invitation.objects.filter(
        email=email,
        role=role,
        provider=provider,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    if pending.exists():
        raise DomainError(
            f"{email} already has an invitation to this role waiting. Revoke it first to send a new one.",
            field="email",
        )
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name.strip(),
        role=role,
        provider=provider,
        nonce=secrets.token_urlsafe(32),
        invited_by=invited_by,
        expires_at=timezone.now() + datetime.timedelta(days=settings.NPQEL_INVITATION_DAYS),
    )
    from accounts.tasks import invitation_send_email_task

    enqueue(invitation_send_email_task, invitation.pk)
    return invitation


def invitation_send_email(*, invitation_id: int) -> bool:
    """Send the invitation email once; returns False when there is nothing to send (already sent or closed)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("provider", "invited_by")
            .get(pk=invitation_id)
        )
        if invitation.email_sent_at or invitation.state != "pending":
            return False
        context = {"invitation": invitation, "link": invitation_link(invitation)}
        send_mail(
            subject="You have been invited to the NPQEL Programme Manager",
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
        invitation.email_sent_at = timezone.now()
        invitation.save(update_fields=["email_sent_at"])
    return True


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link points at, or DomainError saying why the link no longer works."""
    max_age = datetime.timedelta(days=settings.NPQEL_INVITATION_DAYS)
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise DomainError(
            "This invitation link has expired. Ask whoever invited you to send a new one."
        ) from exc
    except signing.BadSignature as exc:
        raise DomainError("This invitation link is not valid. Check you copied the whole link.") from exc
    invitation = Invitation.objects.select_related("provider").filter(pk=payload.get("i")).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce, str(payload.get("n"))):
        raise DomainError("This invitation link is not valid. Check you copied the whole link.")
    state = invitation.state
    if state == "accepted":
        raise DomainError(
            "This invitation has already been used. Sign in with your email address and password."
        )
    if state == "revoked":
        raise DomainError("This invitation was withdrawn. Ask whoever invited you if you still need access.")
    if state == "expired":
        raise DomainError("This invitation link has expired. Ask whoever invited you to send a new one.")
    return invitation


def invitation_needs_password(invitation: Invitation) -> tuple[bool, str]:
    """Whether accepting sets a password (no account yet, or one made without a password by an import),
    and the name to suggest on the joining form: the invitation's, else the one already on record."""
    user = User.objects.filter(email__iexact=invitation.email).first()
    return (
        user is None or not user.has_usable_password(),
        invitation.full_name or (user.full_name if user else ""),
    )


@transaction.atomic
def invitation_accept(
    *, token: str, password: str | None, full_name: str = "", signed_in: User | None = None
) -> User:
    """Join with the invited role. New people set a password; someone who already has an account must be
    signed in as the invited address."""
    invitation = invitation_from_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
        raise DomainError(
            "This invitation has already been used. Sign in with your email address and password."
        )
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None or not user.has_usable_password():
        # A new person, or one created without a password (e.g. enrolled by an import): the link proves
        # they own the address, so they set their password here.
        if not password:
            raise DomainError("Choose a password.", field="password")
        if user is None:
            user = User(email=invitation.email)
        user.full_name = (full_name or user.full_name or invitation.full_name).strip()
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
        user.save()
    elif signed_in is None or signed_in.pk != user.pk:
        raise DomainError(
            f"There is already an account for {invitation.email}. Sign in as {invitation.email}, "
            "then open the invitation link again."
        )
    _grant_role(user, invitation.role, invitation.provider)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    access.forget(user)
    return user


@transaction.atomic
def invitation_revoke(*, by: User, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation so its link stops working."""
    if invitation.provider_id is None:
        if not access.access_for(by).platform_staff:
            raise DomainError("Only platform staff can withdraw this invitation.")
    else:
        access.require(by, Action.MANAGE_PEOPLE, invitation.provider_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "pending":
        raise DomainError(
            f"This invitation is {invitation.state}; only a waiting invitation can be withdrawn."
        )
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def invitations_send_unsent(*, older_than: datetime.timedelta = datetime.timedelta(minutes=2)) -> int:
    """Queue the email of every waiting invitation that has not been sent after `older_than`; returns how many."""
    from accounts.tasks import invitation_send_email_task

    cutoff = timezone.now() - older_than
    ids = list(
        Invitation.objects.filter(
            email_sent_at__isnull=True,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            created_at__lte=cutoff,
        ).values_list("pk", flat=True)
    )
    for invitation_id in ids:
        enqueue(invitation_send_email_task, invitation_id)
    return len(ids)


def _holds_role(user: User, role: str, provider: Provider | None) -> bool:
    if role == Invitation.Role.PLATFORM_STAFF:
        return user.is_platform_staff
    if role == Invitation.Role.MODERATOR:
        return user.is_moderator
    return StaffMembership.objects.filter(user=user, provider=provider, role=role).exists()


def _grant_role(user: User, role: str, provider: Provider | None) -> None:
    if role == Invitation.Role.PLATFORM_STAFF:
        user.is_platform_staff = True
        user.save(update_fields=["is_platform_staff"])
    elif role == Invitation.Role.MODERATOR:
        user.is_moderator = True
        user.save(update_fields=["is_moderator"])
    elif role == Invitation.Role.PARTICIPANT:
        return  # their enrolment is their role
    else:
        StaffMembership.objects.get_or_create(user=user, provider=provider, role=role)


# --- API tokens -------------------------------------------------------------------------------

API_KEY_PREFIX = "npq_"


@transaction.atomic
def platform_staff_create(*, email: str, password: str, full_name: str = "") -> User:
    """The first platform-staff account of a new installation (from the command line); they invite the rest.
    An existing account with that address is made platform staff and keeps its password."""
    email = User.objects.normalize_email(email).strip().lower()
    if "@" not in email:
        raise DomainError(f"“{email}” is not an email address.", field="email")
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        user.is_platform_staff = True
        user.save(update_fields=["is_platform_staff"])
        return user
    candidate = User(email=email, full_name=full_name.strip())
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc
    return User.objects.create_user(email, password, full_name=full_name.strip(), is_platform_staff=True)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API key. Returns the key itself, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError(
            "Give the key a name, such as “Reporting spreadsheet”, so you can recognise it later.",
            field="name",
        )
    if len(name) > 100:
        raise DomainError("Use a name of 100 characters or fewer.", field="name")
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise DomainError(f"You already have a key called “{name}”. Choose another name.", field="name")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:10], key_hash=hash_api_key(key))
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own keys; requests with it are refused from now on."""
    token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if token is None:
        raise ApiToken.DoesNotExist
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record that a key was used, at most once a minute so busy clients do not write on every call."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
