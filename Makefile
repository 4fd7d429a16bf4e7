# mmvidseg: one entry point for install, the main job and the tests.
#   make demo    # install, write toy videos, train + evaluate the baseline
#   make test    # install, run the whole test suite (slow tests included)
PYTHON ?= .venv/bin/python
CONFIG ?= configs/frame_baseline/frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py
WORK_DIR ?= work_dirs/frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw
TOY_VSPW ?= data/toy_vspw
PYTEST_ARGS ?=
# the suite runs on 2 pytest-xdist workers of one thread each (CI has 2 cores)
PYTEST_WORKERS ?= 2
export OMP_NUM_THREADS ?= 2

.PHONY: install toy-data demo test test-fast

install:
	bash tools/install.sh

toy-data: install
	$(PYTHON) tools/misc/generate_toy_data.py vspw $(TOY_VSPW) \
		--num-train 16 --num-val 4 --frames 20

demo: toy-data
	$(PYTHON) tools/train.py $(CONFIG) --work-dir $(WORK_DIR)
	$(PYTHON) tools/test.py $(CONFIG) $(WORK_DIR)/iter_1000.pth \
		--work-dir $(WORK_DIR) --json-out $(WORK_DIR)/metrics.json

test: install
	OMP_NUM_THREADS=1 $(PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-fast: install
	OMP_NUM_THREADS=1 $(PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow" $(PYTEST_ARGS)
