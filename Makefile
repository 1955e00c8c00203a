# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv demo test test-slow test-all lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# dev tools, and the optional UMAP extra so that the explorer's UMAP test runs too
	$(BIN)/python -m pip install --quiet -e '.[dev,umap]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/latentforge train vae --data sample --epochs 4 --latent-dim 16 --out runs/demo --overwrite

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

# Only the tests marked slow (long end-to-end runs); CI runs them after the fast suite.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) runs build dist src/*.egg-info
