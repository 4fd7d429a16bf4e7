#!/usr/bin/env bash
# Create ./.venv with the verified OpenMMLab stack and mmvidseg installed in
# editable mode. Idempotent: a second run only re-checks (seconds).
#
#   bash tools/install.sh            # create/update .venv
#   VENV=/path/to/venv bash tools/install.sh
#
# mmcv 2.1.0 has no wheel on PyPI for this torch, so it is built from source
# with its ops (about 14 minutes on 2 cores, once per machine: pip caches the
# built wheel in ~/.cache/pip/wheels).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
cd "$ROOT"

stamp="$VENV/.mmvidseg-install-stamp"
# The stamp covers the pins, setup.py and the ops' C++/CUDA sources (an edit
# there needs a rebuild of the extensions).
want="$(cat requirements/*.txt setup.py mmvidseg/ops/*/csrc/* | sha1sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
    && "$VENV/bin/python" -c "import mmcv.ops, mmdet, mmseg, mmvidseg" 2>/dev/null; then
  echo "[install] $VENV is up to date"
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip "$@"; }
pin() { grep -E "^$1==" requirements/pins.txt; }

# pip >= 24 is needed: older pips install a setup.py project with the
# deprecated `setup.py develop`, which setuptools >= 80 turns into an isolated
# build without torch, and the ops silently stay unbuilt.
pip install -q -U -r requirements/build.txt
pip install -q "$(pin torch)" numpy
if ! "$VENV/bin/python" -c "import mmcv.ops" 2>/dev/null; then
  echo "[install] $(pin mmcv) with ops: built from source the first time on a machine (~14 min), then from pip's wheel cache"
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    pip install --no-build-isolation "$(pin mmcv)"
fi
pip install -q "$(pin mmengine)" "$(pin mmdet)" "$(pin mmsegmentation)" \
  -r requirements/runtime.txt -r requirements/tests.txt
# Our own package; its C++ ops are built when a compiler is present
# (setup.py falls back to a pure-Python install otherwise).
pip install -q --no-build-isolation -e .
if command -v c++ >/dev/null || command -v g++ >/dev/null; then
  "$VENV/bin/python" - <<'PY'
import sys
from mmvidseg.ops.utils import compiled_ops, load_ext
missing = [op for op in compiled_ops() if load_ext(op) is None]
if missing:
    sys.exit(f'[install] a C++ compiler is present but the ops {missing} were '
             'not built: run `.venv/bin/python -m pip install -v '
             '--no-build-isolation -e .` and read its warnings')
PY
fi
echo "$want" > "$stamp"
echo "[install] done: $VENV"
