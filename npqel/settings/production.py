"""Production: every secret comes from the environment and a missing one stops start-up with a clear message."""

from npqel.env import env_bool, env_int, env_list, env_required
from npqel.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env_required(
    "SECRET_KEY", "It signs sessions and password-reset links; use 50+ random characters."
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    env_required("ALLOWED_HOSTS", "List the host names the site is served on, comma separated.")
DATABASES = {
    "default": dj_database_url.parse(  # noqa: F405
        env_required(
            "DATABASE_URL", "Production runs on PostgreSQL: postgres://user:password@host:5432/name."
        ),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
REDIS_URL = env_required("REDIS_URL", "Celery and the cache need Redis: redis://host:6379/0.")
CACHES = redis_caches(REDIS_URL)  # noqa: F405
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_required("EMAIL_HOST", "Invitations and password resets are sent by email.")
SITE_URL = env_required("SITE_URL", "Links in emails point here, e.g. https://npqel.example.org.")

# HTTPS only. The security headers, the Content-Security-Policy and HttpOnly, SameSite=Lax cookies are set
# for every environment in base.py; what follows needs HTTPS, so it is production's.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# "__Host-": browsers keep such a cookie only if it is Secure, for this exact host and the whole site, so
# no other subdomain can plant or overwrite it.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if not host.startswith(".")]
