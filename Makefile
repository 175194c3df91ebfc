# Everyday commands. `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
export UV_LINK_MODE ?= copy

.PHONY: setup run test lint format bench worker migrate clean

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen

## Serve web + API + in-process worker at http://127.0.0.1:8000 on the embedded defaults, with demo data.
run: setup
	DEMO_DATA=$${DEMO_DATA:-1} \
	KLEARKARMA_ADMIN_EMAIL=$${KLEARKARMA_ADMIN_EMAIL:-admin@demo.klearkarma.com} \
	KLEARKARMA_ADMIN_PASSWORD=$${KLEARKARMA_ADMIN_PASSWORD:-KlearKarma!Admin2026} \
	KLEARKARMA_LOG_FORMAT=$${KLEARKARMA_LOG_FORMAT:-console} \
	$(UV) run klearkarma serve

## The whole test suite (real PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set, embedded otherwise).
test: setup
	$(UV) run pytest $(PYTEST_ARGS)

lint: setup
	$(UV) run ruff check src tests migrations bench
	$(UV) run ruff format --check src tests migrations bench
	$(UV) run mypy

format: setup
	$(UV) run ruff check --fix src tests migrations bench
	$(UV) run ruff format src tests migrations bench

## Benchmarks (on demand; they print numbers, they do not pass or fail).
bench: setup
	$(UV) run python bench/seed_bench.py --practitioners $${PRACTITIONERS:-100000} --seekers $${SEEKERS:-20000} --bookings $${BOOKINGS:-100000}
	$(UV) run python bench/http_bench.py --concurrency $${CONCURRENCY:-20} --requests $${REQUESTS:-1000}

worker: setup
	$(UV) run klearkarma worker

migrate: setup
	$(UV) run klearkarma migrate

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
