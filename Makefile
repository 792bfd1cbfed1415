# smz: `make run` serves the demo city, `make test` runs the whole suite. Both set themselves up.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Find a Python >= 3.12: $PYTHON, then python3.13/python3.12 on PATH, then pyenv's interpreters.
PYTHON ?= $(shell for c in python3.13 python3.12 python3 \
	$$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3; do \
	  p=$$(command -v $$c 2>/dev/null || ls $$c 2>/dev/null); \
	  [ -n "$$p" ] && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; \
	done)

# seed_video's first camera (the first demo site's first personnel entrance), dropped by the simulator in make run.
DEMO_DROP_CAMERA := 44200000001327000001

.PHONY: run test venv check lint imports lock browser-deps clean bench

$(VENV)/.installed: requirements.txt
	@if [ -z "$(PYTHON)" ]; then echo "smz needs Python >= 3.12 (Django 6). None found: install one or set PYTHON=/path/to/python3.12" >&2; exit 1; fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) manage.py migrate --no-input -v 0
	@# PostgreSQL: the pass records' month partitions from this month to 3 ahead (nothing on SQLite).
	$(PY) manage.py partitions_ensure
	$(PY) manage.py compliance_rules
	$(PY) manage.py seed_demo --if-empty
	@# Face identity: three managers' faces enrolled, one of them somebody else's, so the simulated week shows
	@# his post 未到岗 (not the same person) and one face under two ID numbers (issue 15).
	$(PY) manage.py seed_faceid --if-empty
	$(PY) manage.py simulate_demo_week --if-empty
	@# Video (issue 16): the demo sites' entrances get cameras (one NVR), SIP passwords and a week online, so the
	@# judged week has C-CAM-ENTRANCE findings; they play the generated sample clip.
	$(PY) manage.py seed_video --if-empty
	$(PY) manage.py compliance_run --demo-week
	$(PY) manage.py seed_compliance --if-empty
	$(PY) manage.py seed_workflows --if-empty
	$(PY) manage.py seed_labor --if-empty
	$(PY) manage.py seed_docking --if-empty
	$(PY) manage.py demo_logins
	@# Docking requests a stopped worker left pending (附件8) are finished before the server starts.
	$(PY) manage.py docking_requests_process
	@# The simulator's devices heartbeat now and every 30 s beside the server (else 离线 two minutes on).
	$(PY) manage.py demo_heartbeat
	@# Background tasks (attendance recompute, texts) run in a db_worker beside the server, stopped with it.
	@# The GB/T 28181 SIP server (udp/tcp 127.0.0.1:15060) and the camera simulator keep the demo cameras online;
	@# the simulator drops the first site's 东门 camera after 10 minutes: offline 3 keepalives (3 min) later.
	$(PY) manage.py db_worker --queue-name '*' --no-reload -v 0 & worker=$$!; \
	$(PY) manage.py demo_heartbeat --every 30 --base-url http://127.0.0.1:8000 & beat=$$!; \
	$(PY) manage.py video_sip_server & sip=$$!; \
	$(PY) -m smz.video.simulator --from-db --keepalive 60 --drop $(DEMO_DROP_CAMERA) --drop-after 600 & sim=$$!; \
	trap 'kill $$worker $$beat $$sip $$sim 2>/dev/null' EXIT; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: venv
	$(PY) -m pytest -n 2 -q

# Issue 17's figures on PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432/postgres), each beside its
# target: uploads with and without snapshots, single check-ins, the disk's limit, the roll-up, city-sized pages.
# Each bench creates and drops its own database; method and results in docs/bench.md. make bench BENCH_ARGS=--quick
bench: venv
	$(PY) bench/all.py $(BENCH_ARGS)

# Import contracts in pyproject.toml ([tool.importlinter]): layer order, no loops inside an app, reads never reach writes.
imports: venv
	$(VENV)/bin/lint-imports

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

# Debian packages for browser tests and PDFs (Chromium is launched by path; nothing is downloaded by Playwright).
browser-deps:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null && fc-list | grep -qi wenquanyi && \
	  [ -f /usr/lib/chromium/locales/zh-CN.pak ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n fonts-wqy-zenhei poppler-utils)

lock: venv
	$(PY) -m pip freeze --exclude-editable | sed '1i # Pinned dependency tree for smz (Python >= 3.12). Generated from requirements.in by `make lock`.' > requirements.txt

clean:
	rm -rf $(VENV) var
