#!/usr/bin/env bash
# The GPU path on a machine with a GPU: torch + transformers + peft (trainer/python/requirements.txt),
# and optionally vllm and node (for check_parity.py against the TypeScript engine: `pnpm install` first).
# Prints one line per check (CHECK <name>: PASS|FAIL|SKIP …) and exits non-zero when one failed.
#   bash trainer/python/device_check.sh [--work DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
if ! "$python" -c 'import torch, transformers, peft, tokenizers, safetensors' 2>/dev/null; then
  echo "CHECK deps: FAIL torch, transformers, peft, tokenizers and safetensors are needed ($python -m pip install -r $here/requirements.txt)"
  exit 1
fi
echo "CHECK deps: PASS $("$python" -c 'import torch, transformers, peft; print(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}")')"
exec "$python" "$here/device_check.py" "$@"
