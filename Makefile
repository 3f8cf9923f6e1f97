# Two commands a new developer needs: `make run` and `make test` (README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python

.PHONY: run test check lint format bench venv migrate demo worker beat messages vendor clean

$(BIN)/activate: requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

venv: $(BIN)/activate

run: venv
	DEBUG=1 $(PYTHON) manage.py migrate --noinput
	DEBUG=1 $(PYTHON) manage.py load_demo
	DEBUG=1 $(PYTHON) manage.py runserver 127.0.0.1:8000

# Two processes (pytest-xdist), each with its own test database and Redis database (tests/xdist_services.py).
TEST_PROCESSES ?= 2
test: venv
	$(PYTHON) -m pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: venv lint
	$(PYTHON) manage.py check
	$(PYTHON) manage.py makemigrations --check --dry-run
	$(MAKE) test

bench: venv
	$(PYTHON) bench/run.py

worker: venv
	$(BIN)/celery -A config worker -l info

beat: venv
	$(BIN)/celery -A config beat -l info

messages: venv
	DEBUG=1 $(PYTHON) manage.py makemessages -l nb -l nn -l en --ignore=.venv --ignore=staticfiles
	DEBUG=1 $(PYTHON) manage.py compilemessages --ignore=.venv

# The .map files are not vendored: drop the sourceMappingURL comments, or collectstatic's manifest storage
# fails on the missing files (issue 15).
vendor:
	cd /tmp && rm -rf fastlege-vendor && mkdir fastlege-vendor && cd fastlege-vendor && npm init -y >/dev/null && \
	npm install --silent bootstrap@5.3.9 htmx.org@2.0.11 chart.js@4.6.1 axe-core@4 && \
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(CURDIR)/static/vendor/bootstrap/ && \
	cp node_modules/htmx.org/dist/htmx.min.js $(CURDIR)/static/vendor/htmx/ && \
	cp node_modules/chart.js/dist/chart.umd.min.js $(CURDIR)/static/vendor/chartjs/ && \
	cp node_modules/axe-core/axe.min.js $(CURDIR)/static/vendor/axe/
	sed -i -E '/^(\/\/|\/\*)# sourceMappingURL=/d' static/vendor/*/*.js static/vendor/*/*.css
	! grep -rl sourceMappingURL static/vendor

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
