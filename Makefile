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

# Single-check p99 while three maximum-size hostile uploads run (issue 10 item 3, ADR 0017).
.PHONY: bench-hostile-upload
bench-hostile-upload: venv
	$(DEMO) $(BIN)/python bench/hostile_upload.py

# Benchmark of the audit log: concurrent appends vs plain inserts, and verifying 1,000,000 events.
.PHONY: bench-audit
bench-audit: venv
	$(DEMO) $(BIN)/python bench/audit_log.py

# Stamping a 1,000,000-line inquiry request file through the API vs a raw pass (ADR 0044).
.PHONY: bench-stamp
bench-stamp: venv
	$(DEMO) $(BIN)/python bench/stamp.py
