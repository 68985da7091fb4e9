# One image for web, worker and beat (docker-compose.yml chooses the command).
# Stage 1 builds the GOV.UK Frontend assets from npm; stage 2 is the Python application.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend ./frontend
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=npqel.settings.production
# Pango is what WeasyPrint draws PDFs with; the PostgreSQL client is what scripts/backup.sh and restore.sh run.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
       postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
RUN pip install .
COPY . .
COPY --from=frontend /app/build/static ./build/static
# Static files are collected at build time with the settings that need no secrets.
RUN DJANGO_SETTINGS_MODULE=npqel.settings.base python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 1000 --home /app npqel \
    && mkdir -p /var/lib/npqel/media \
    && chown -R npqel /var/lib/npqel
USER npqel
EXPOSE 8000
CMD ["gunicorn", "npqel.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "8", "--timeout", "300", "--access-logfile", "-"]
