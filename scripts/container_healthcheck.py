"""Docker health check for the web container: is gunicorn serving and the database answering?

/health/ also reports Redis and the workers, and answers 503 when any is down; a stopped worker must
not mark the web container unhealthy, so this reads the JSON and looks at the database only.
Exit status 0 = healthy, 1 = not.
"""

import json
import os
import sys
import urllib.error
import urllib.request

host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip().lstrip(".") or "localhost"
request = urllib.request.Request(  # noqa: S310 - a fixed http URL on loopback
    "http://127.0.0.1:8000/health/",
    # As the TLS-terminating proxy would send it, so the HTTPS redirect and host check pass.
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        body = response.read()
except urllib.error.HTTPError as error:
    body = error.read()
except OSError as error:
    print(f"web is not answering: {error}")
    sys.exit(1)
try:
    database = json.loads(body)["checks"]["database"]["status"]
except (ValueError, KeyError, TypeError):
    print(f"unexpected answer from /health/: {body[:200]!r}")
    sys.exit(1)
print(f"database: {database}")
sys.exit(0 if database == "up" else 1)
