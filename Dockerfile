# syntax=docker/dockerfile:1
# The production image (ADR 0064). LGWAN has no internet at install time: every dependency is a
# wheel bundled into the build context by `make wheels` (deploy/wheels/, from
# requirements/runtime.lock — the runtime dependencies only, each with its sha256), and pip never
# reaches an index. Build:  make wheels && docker build -t dvprotect .
#
# The base is pinned by digest, so a rebuild gets the same bytes. Update it on purpose: look the
# new digest up (`docker buildx imagetools inspect python:3.11-slim-bookworm`), change both ARGs'
# users here, rebuild and run the tests (docs/operations/deployment.md).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

# --- builder: checks every bundled file against the lock and turns it into an installable wheel.
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
WORKDIR /build
COPY requirements/runtime.lock ./runtime.lock
COPY deploy/wheels/ ./bundle/
# --require-hashes: a file whose hash is not in the lock, or a package not in it, stops the build.
RUN pip wheel --no-index --find-links=./bundle --require-hashes --no-deps -r runtime.lock -w /wheels

# --- runtime: the product and its runtime dependencies, nothing else (no tests, no lint tools).
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin DJANGO_SETTINGS_MODULE=config.settings \
    INTERMEDIARY_DATA_DIR=/data/intermediary CELERY_BEAT_SCHEDULE_FILENAME=/data/beat/celerybeat-schedule \
    AUDIT_ANCHOR_SINK_FILE=/data/anchors/audit-anchors.jsonl
RUN groupadd --system --gid 10001 dvprotect \
 && useradd --system --uid 10001 --gid dvprotect --home-dir /app --no-create-home --shell /usr/sbin/nologin dvprotect
# The wheels come in through a mount, so no layer of the image keeps them.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements/runtime.lock,target=/tmp/runtime.lock \
    python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-index --find-links=/wheels --require-hashes --no-deps -r /tmp/runtime.lock \
 && /opt/venv/bin/pip check
WORKDIR /app
# The product's own code only: tests/, bench/, docs/ and the wheel bundle stay out.
COPY manage.py pyproject.toml ./
COPY config/ ./config/
COPY core/ ./core/
COPY accounts/ ./accounts/
COPY audit/ ./audit/
COPY intermediary/ ./intermediary/
COPY flags/ ./flags/
COPY victims/ ./victims/
COPY checks/ ./checks/
COPY integration/ ./integration/
COPY templates/ ./templates/
COPY static/ ./static/
COPY deploy/entrypoint.sh deploy/gunicorn.conf.py ./deploy/
# Static files collected now, at build time, into the image (whitenoise serves them). collectstatic
# runs only the staticfiles checks, so the build needs no secret.
RUN python manage.py collectstatic --noinput \
 && mkdir -p /data/intermediary /data/beat /data/anchors /tmp/prometheus \
 && chown -R dvprotect:dvprotect /data /tmp/prometheus \
 && chmod 0755 deploy/entrypoint.sh
USER 10001:10001
EXPOSE 8000
# The start checks (manage.py check: DEBUG off refuses the demo's secrets, ADR 0062) run before
# every role; then migrate / web (gunicorn) / worker / beat / emulator (demo profile only).
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
