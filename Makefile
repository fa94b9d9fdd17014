# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test browser java bench clean cluster cluster-stop

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# an editable install of a flat layout warns at each install that folders named like
	@# the package take precedence: true of this checkout, and nothing a user can act on
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(VENV)/.bench: $(STAMP)
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# Index ./corpus if there is no index yet, then serve on http://$(HOST):$(PORT).
run: $(STAMP)
	$(BIN)/searchsvc serve --host $(HOST) --port $(PORT)

# A local 3-node OpenSearch cluster on 127.0.0.1 (installed from Maven Central if missing;
# needs Java 17 and Maven). CLUSTER_ARGS e.g. "--dir /tmp/c --port-base 9600".
cluster: $(STAMP) java
	$(BIN)/searchsvc cluster start $(CLUSTER_ARGS)

cluster-stop: $(STAMP)
	$(BIN)/searchsvc cluster stop $(CLUSTER_ARGS)

# Debian's Chromium for the end-to-end tests (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Java 17 and Maven for the OpenSearch tests (the test fixture then installs OpenSearch
# itself, from Maven Central).
java:
	@{ command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless maven; }

test: $(STAMP) browser java
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.bench
	$(BIN)/python bench/extract_quality.py
	$(BIN)/python bench/index_speed.py
	$(BIN)/python bench/ranking.py
	$(BIN)/python bench/query_speed.py
	nice $(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT
