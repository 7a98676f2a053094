#!/bin/sh
# The image's entrypoint (ADR 0064): the start checks, then one role.
#   web | worker | beat | migrate | check | emulator | manage <command> [args]
# The checks are `manage.py check --deploy`: any ERROR stops here, before a role starts — the
# product's own refusals (demo SECRET_KEY, default passwords: dvprotect.E001-E006, ADR 0062)
# and Django's; the --deploy warnings are printed for the operator. gunicorn (config.wsgi) and
# Celery (worker_init/beat_init) apply the product's refusals again themselves.
set -eu
cd "$(dirname "$0")/.."
role="${1:-web}"
[ "$#" -gt 0 ] && shift

python manage.py check --deploy --fail-level ERROR

# Multiprocess metrics (ADR 0065): the folder is this container's and starts empty, or the
# counters of processes of an earlier start would be summed in.
prepare_metrics_dir() {
  if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -maxdepth 1 -name '*.db' -delete
  fi
}

case "$role" in
  check)
    exit 0 ;;
  migrate)
    # The owner role migrates, then renews the app role's grants (a new table has none until then).
    python manage.py migrate --noinput
    exec python manage.py db_app_role "${DVPROTECT_APP_ROLE:-dvprotect_app}" ;;
  web)
    prepare_metrics_dir
    exec gunicorn --config deploy/gunicorn.conf.py config.wsgi:application ;;
  worker)
    # The worker's counters are not scraped (checks run in web), so it keeps none on disk.
    unset PROMETHEUS_MULTIPROC_DIR
    exec celery -A config worker -l INFO --concurrency "${CELERY_CONCURRENCY:-4}" ;;
  beat)
    unset PROMETHEUS_MULTIPROC_DIR
    mkdir -p "$(dirname "${CELERY_BEAT_SCHEDULE_FILENAME}")"
    exec celery -A config beat -l INFO -s "${CELERY_BEAT_SCHEDULE_FILENAME}" ;;
  emulator)
    exec python manage.py run_intermediary_emulator "$@" ;;
  manage)
    exec python manage.py "$@" ;;
  *)
    echo "unknown role: $role (web | worker | beat | migrate | check | emulator | manage)" >&2
    exit 64 ;;
esac
