# Two commands for a fresh machine:  make run  (set up and start the app)  /  make test  (set up and run the tests)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
CHROMIUM := /usr/bin/chromium

.PHONY: setup run test bench chromium nginx serve-replicas latency load long-session screenshot gpu-check

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

# seqviz.ui.serve is `streamlit run` that knows the pages come from st.navigation (see its docstring)
run: setup
	$(BIN)/python -m seqviz.ui.serve --warm app.py --server.port $(PORT)

# Debian's Chromium for the browser tests (Playwright never downloads a browser here). Installed
# with apt-get as root or through passwordless sudo; otherwise the browser tests skip and say why.
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "make: no apt-get to install Chromium; browser tests will be skipped"; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update && apt-get install -y chromium || echo "make: Chromium install failed; browser tests will be skipped"; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		sudo apt-get update && sudo apt-get install -y chromium || echo "make: Chromium install failed; browser tests will be skipped"; \
	else \
		echo "make: Chromium missing and neither root nor sudo; browser tests will be skipped"; \
	fi

# Debian's nginx for `make serve-replicas` and the replica test, installed like Chromium (else that test skips).
nginx:
	@if [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "make: no apt-get to install nginx; the replica test will be skipped"; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get install -y nginx || (apt-get update && apt-get install -y nginx) \
			|| echo "make: nginx install failed; the replica test will be skipped"; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		sudo apt-get install -y nginx || (sudo apt-get update && sudo apt-get install -y nginx) \
			|| echo "make: nginx install failed; the replica test will be skipped"; \
	else \
		echo "make: nginx missing and neither root nor sudo; the replica test will be skipped"; \
	fi

# N replicas of the app behind nginx on http://127.0.0.1:8500 (harness/replicas.py)
N ?= 3
serve-replicas: setup nginx
	$(BIN)/python -m scripts.serve_replicas --replicas $(N) --port 8500

# One pytest worker per core, an idle worker taking tests from a busy one (worksteal); each worker starts the
# browser tests' server and Chromium once (tests/browser/conftest.py). Plain `pytest` runs everything in one process.
test: setup chromium nginx
	$(BIN)/python -m pytest -q -n auto --dist worksteal

bench: setup
	$(BIN)/python -m benchmarks.trace_speed
	$(BIN)/python -m benchmarks.training_speed
	$(BIN)/python -m benchmarks.attention_speed
	$(BIN)/python -m benchmarks.ssm_speed
	$(BIN)/python -m benchmarks.language_speed
	$(BIN)/python -m benchmarks.transformer_speed
	$(BIN)/python -m benchmarks.cell_latency

latency: setup chromium
	$(BIN)/python -m pytest -q -m timing tests/browser  # the harness's timing, against real frames first
	$(BIN)/python -m benchmarks.latency --repeats 20 --runs 3
	$(BIN)/python -m benchmarks.scrub
	$(BIN)/python -m benchmarks.chart_draw
	$(BIN)/python -m benchmarks.cold_load --rounds 3

load: setup
	$(BIN)/python -m benchmarks.load

long-session: setup chromium
	$(BIN)/python -m benchmarks.long_session

screenshot: setup chromium
	$(BIN)/python scripts/screenshot.py --page gradient-flow --height 1400  # the README's image

# The CUDA checks and the CPU-vs-GPU trace timings (tests/gpu, benchmarks/gpu_trace.py); they skip and say
# why where torch sees no GPU. GPU_PYTHON picks the interpreter: on a GPU machine whose own Python holds a
# CUDA build of torch, `make gpu-check GPU_PYTHON=python3` (the page checks need Streamlit there too).
GPU_PYTHON ?= $(BIN)/python
gpu-check:
	$(GPU_PYTHON) -m pytest -q -rs -p no:cacheprovider tests/gpu
	$(GPU_PYTHON) -m benchmarks.gpu_trace
