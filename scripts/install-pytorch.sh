#!/usr/bin/env bash
# Installs what the PyTorch export test needs (Lottery.Tests/Export/PyTorchExportTests.cs): Debian's python3-torch
# (PyTorch 1.13, with torch.nn.utils.prune) and python3-numpy, run by /usr/bin/python3. Does nothing when they are
# already there. PyTorch only checks the exported files; Lottery itself never needs it.
set -euo pipefail

python=/usr/bin/python3
if [ -x "$python" ] && "$python" -c "import torch, numpy" >/dev/null 2>&1; then
  echo "PyTorch is installed ($("$python" -c "import torch; print('torch', torch.__version__)") under $python)."
  exit 0
fi
echo "PyTorch is missing under $python; installing python3-torch and python3-numpy with apt-get (a few minutes)."

bash "$(dirname "$0")/apt-install.sh" python3-torch python3-numpy

if ! "$python" -c "import torch, numpy" >/dev/null 2>&1; then
  echo "$python still cannot import torch and numpy after installing python3-torch and python3-numpy." >&2
  exit 1
fi
echo "Installed: $("$python" -c "import torch; print('torch', torch.__version__)") under $python."
