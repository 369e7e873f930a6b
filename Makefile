# tongji: `make dataset` builds data/dataset from data/raw; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dataset test bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

dataset: $(STAMP)
	$(BIN)/tongji build data/raw --out data/dataset

test: $(STAMP)
	$(BIN)/python -m pytest -q

# make bench [BENCH_MB=200]: synthetic corpus, tongji with 1 job and every core, and the peer
# (JioNLP, in its own venv bench/.venv-peer, never a dependency of tongji) -> BENCHMARKS.md
BENCH_MB ?= 200
PEER := bench/.venv-peer
bench: $(STAMP)
	@$(PEER)/bin/python -c "import jionlp" >/dev/null 2>&1 || \
	  { rm -rf $(PEER) && $(PYTHON) -m venv $(PEER) && $(PEER)/bin/python -m pip install --quiet jionlp; } || \
	  { echo "bench: the peer (jionlp) could not be installed; the benchmark goes on without it"; rm -rf $(PEER); }
	$(BIN)/python bench/run.py --mb $(BENCH_MB) --peer-python $(PEER)/bin/python

clean:
	rm -rf data/dataset
