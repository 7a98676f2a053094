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

run: venv
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PORT=$(PORT) $(BIN)/python manage.py run_all

# The quality gates run before the tests (ruff and mypy settings: pyproject.toml).
# `ruff check` only: `ruff format` is deliberately not a gate, the code is not formatted by it.
# All three (ruff, mypy, the import-linter layers contract) run even when one fails, so one
# pass shows every finding.
lint: venv
	@status=0; $(BIN)/ruff check . || status=1; $(BIN)/mypy || status=1; $(BIN)/lint-imports || status=1; exit $$status

test: venv browser lint
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Benchmark (not a test): one 100,000-operation batch, built and validated, vs a bare lxml write.
bench-batch: venv
	$(BIN)/python bench/batch_xml.py

# Benchmarks of the inquiry-time checks (not tests; see README "ベンチマーク / Benchmarks").
.PHONY: bench-bulk-check bench-single-check bench-recipient-filter
bench-bulk-check: venv
	$(BIN)/python bench/bulk_check.py

bench-single-check: venv
	$(BIN)/python bench/single_check.py

bench-recipient-filter: venv
	$(BIN)/python bench/recipient_filter.py

.PHONY: bench-xlsx
bench-xlsx: venv
	$(BIN)/python bench/xlsx_export.py

# Single-check p99 while three maximum-size hostile uploads run (issue 10 item 3, ADR 0017).
.PHONY: bench-hostile-upload
bench-hostile-upload: venv
	$(BIN)/python bench/hostile_upload.py

# Benchmark of the audit log: concurrent appends vs plain inserts, and verifying 1,000,000 events.
.PHONY: bench-audit
bench-audit: venv
	$(BIN)/python bench/audit_log.py

# Stamping a 1,000,000-line inquiry request file through the API vs a raw pass (ADR 0044).
.PHONY: bench-stamp
bench-stamp: venv
	$(BIN)/python bench/stamp.py
