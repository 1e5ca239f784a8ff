# progeval: two commands on a fresh machine.
#   make demo   create .venv, install progeval with its test extras, run the demo
#   make test   create .venv, install progeval with its test extras, run every test (slow ones too)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]' \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/progeval demo

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

# Independent Python ports of R's did, for benchmarks/did_staggered.py only (never imported by progeval).
REFS := .venv-refs
$(REFS)/.installed-stamp:
	$(PYTHON) -m venv $(REFS)
	$(REFS)/bin/python -m pip install --quiet --disable-pip-version-check moderndid==0.2.0 csdid==0.4.3 drdid==1.1.7
	touch $@

bench: $(STAMP) $(REFS)/.installed-stamp
	$(BIN)/python benchmarks/validate_scale.py
	$(BIN)/python benchmarks/reliability.py
	$(BIN)/python benchmarks/did.py
	$(BIN)/python benchmarks/mixed.py
	$(BIN)/python benchmarks/warehouse_scale.py
	$(BIN)/python benchmarks/scale.py

clean:
	rm -rf $(VENV) $(REFS) progeval-demo .pytest_cache .ruff_cache
