# The production image of 隐患清单: one image runs web (gunicorn), worker, beat and the one-shot
# migrate service of docker-compose.yml.

# Front-end packages (Bootstrap, htmx, Sass, PurgeCSS) from the npm registry, pinned by
# package-lock.json, built into static/vendor/ by scripts/assets.py (it reads the templates).
FROM node:20-slim AS assets
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN python3 scripts/assets.py

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
RUN groupadd --system --gid 1000 app \
 && useradd --system --uid 1000 --gid app --home-dir /app/var --no-create-home app

COPY requirements.txt .
RUN pip install -r requirements.txt

# The code stays owned by root: the app user can write only var/ (media, beat schedule).
COPY . .
COPY --from=assets /build/static/vendor ./static/vendor
# Static files are built into the image (whitenoise serves them with a manifest). The key below exists
# only for this build step; the containers refuse to start without a real SECRET_KEY.
RUN SECRET_KEY=collectstatic-build-only DEBUG=0 python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p /app/var/media \
 && chown -R app:app /app/var

USER app
EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it), 3 in docker-compose.yml.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--no-control-socket"]
