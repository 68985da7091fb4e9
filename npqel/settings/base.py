"""Settings shared by every environment. Environment-specific modules import * from here."""

from pathlib import Path

import dj_database_url

from npqel.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "local-development-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "npqel",
    "accounts",
    "programmes",
    "participants",
    "assessment",
    "metrics",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "npqel.csp.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "npqel.middleware.RequireMfaMiddleware",
]

# --- Security headers (npqel/csp.py) -------------------------------------------------------------
# No inline script or style anywhere (tests/security checks every page), so neither needs 'unsafe-inline'.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],  # allauth's authenticator set-up draws its QR code as a data: image
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],  # the marking page shows a PDF script in a frame
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Pages served by a package, whose markup we do not write: directives that replace the site's, by URL name.
SECURE_CSP_BY_URL_NAME = {
    # Redoc (drf-spectacular's API documentation) is a React bundle that writes its styles into <style>
    # elements as it draws, and searches in a Web Worker made from a blob: URL. Scripts still come from us only.
    "api_docs": {
        "style-src": ["'self'", "'unsafe-inline'"],
        "worker-src": ["'self'", "blob:"],
    },
}
# Browser features no page uses, switched off for every page (Permissions-Policy: feature=()).
PERMISSIONS_POLICY_DENIED = [
    "accelerometer",
    "camera",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "payment",
    "usb",
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No script reads either cookie: htmx sends the CSRF token from the form's hidden field, like a plain post.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Error reports (emails to ADMINS, the debug page's data) never show equality answers (docs/data-protection.md).
DEFAULT_EXCEPTION_REPORTER_FILTER = "participants.privacy_logging.EqualityExceptionReporterFilter"
CSRF_COOKIE_SAMESITE = "Lax"

ROOT_URLCONF = "npqel.urls"
WSGI_APPLICATION = "npqel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "npqel.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL (postgres://...) selects PostgreSQL; without it an SQLite file keeps `make run`
# free of any running service.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "var" / "npqel.sqlite3"}
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")


def redis_caches(url: str) -> dict[str, dict[str, object]]:
    """The cache on Redis. While Redis is down it answers from each process's memory (npqel/cache.py), so pages
    stay up and rate limits hold per process; short timeouts, so a Redis that hangs cannot hold a page."""
    return {
        "default": {
            "BACKEND": "npqel.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without Redis there is no worker: tasks run in-process, so `make run` needs nothing running.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = "Europe/London"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A job a worker has taken but not acknowledged (tasks acknowledge once done) goes back on its queue after
    # this many seconds: a worker killed mid-job (SIGKILL, its machine lost) has its job run again by another.
    # It must exceed CELERY_TASK_TIME_LIMIT plus the longest countdown, or a job still running would be started
    # twice. (A worker stopped normally hands its jobs back at once; a pool process that dies has its job
    # requeued at once: CELERY_TASK_REJECT_ON_WORKER_LOST.)
    "visibility_timeout": env_int("NPQEL_BROKER_VISIBILITY_TIMEOUT", 30 * 60),
}
# A job running when Redis drops keeps running (it is safe to run twice; if its acknowledgement is lost it is
# run again after the visibility timeout) rather than being stopped half-way.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# If Redis is down, give up publishing quickly: the request must not hang; the job waits in the outbox
# (npqel/jobs.py) and the drain sends it once Redis is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Accounts (django-allauth) ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"  # people join by invitation, which proves the address
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
# Invitations prove the address (email verification is off). Without this, a password reset leaves an
# unverified address that stops staff from setting up the authenticator the MFA middleware sends them to.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# How many tries allauth allows before it refuses for a while. "key" is the email address typed (or, for a
# second-factor code, the person). Per address: the sixth wrong password in five minutes is refused, even if it
# is right. Per IP address the bounds are looser, because a whole school or training venue may share one.
# A wrong authenticator or recovery code counts under "login_failed" too (allauth.mfa keys it per person).
# The refusal says how long to wait (accounts/adapter.py), from NPQEL_SIGN_IN_PAUSE_MINUTES.
NPQEL_SIGN_IN_PAUSE_MINUTES = 5
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": f"30/{NPQEL_SIGN_IN_PAUSE_MINUTES}m/ip,5/{NPQEL_SIGN_IN_PAUSE_MINUTES}m/key",
    "reset_password": "20/m/ip,3/15m/key",
    "reset_password_from_key": "20/m/ip",
    "reauthenticate": "10/m/user",
    "change_password": "5/m/user",
    "signup": "20/m/ip",
}
MFA_ADAPTER = "accounts.adapter.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "NPQEL Programme Manager"
# Provider admins, assessors, moderators and platform staff must use a second factor.
NPQEL_MFA_REQUIRED_FOR_STAFF = env_bool("NPQEL_MFA_REQUIRED_FOR_STAFF", True)
NPQEL_INVITATION_DAYS = env_int("NPQEL_INVITATION_DAYS", 14)
# A header a buffering proxy sets to when a request began ("t=<seconds since 1970>"), for the deadline rule of
# uploads (docs/deploy.md, "Uploads on deadline night"); blank: the moment the app starts reading the request.
NPQEL_REQUEST_START_HEADER = env_str("NPQEL_REQUEST_START_HEADER", "")

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "NPQEL Programme Manager <no-reply@npqel.localhost>")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# --- Files ------------------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": env_str("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# build/static is made by `npm run build` from npm packages and is git-ignored.
STATICFILES_DIRS = [BASE_DIR / "static", BASE_DIR / "build" / "static"]
# A course's completion grid posts one field per tick (200 people × 20 tasks = 4,000), saved in one go
# without JavaScript; Django's default of 1,000 fields would refuse it. Still a bound: 2.5 MB bodies.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000

# --- Locale and time --------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["npqel.api.IsSignedInWithMfa"],
    "DEFAULT_PAGINATION_CLASS": "npqel.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "npqel.api.error_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NPQEL Programme Manager API",
    "DESCRIPTION": (
        "The same operations as the web pages, scoped to what the signed-in user may see. "
        "Authenticate with a session or with `Authorization: Token <key>` (create keys on your account page)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models have a `status`: name each set of choices after its model rather than a number.
    "ENUM_NAME_OVERRIDES": {
        "EnrolmentStatusEnum": "participants.models.Enrolment.Status",
        "ImportStatusEnum": "participants.models.EnrolmentImport.Status",
        "AttendanceStatusEnum": "participants.models.Attendance.Status",
        # A programme's engagement_comparison, and the comparison an enrolment's engagement is measured by.
        "EngagementComparisonEnum": "programmes.models.Programme.Comparison",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
