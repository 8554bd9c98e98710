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

if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install PyTorch (1.13 or later) and numpy for $python with this system's package manager." >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "Not root and no sudo: run as root 'apt-get install -y python3-torch python3-numpy'." >&2
    exit 1
  fi
  sudo=(sudo)
fi
install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-torch python3-numpy)

# The package lists are refreshed only when the install fails without them (a fresh image has none).
if ! "${install[@]}"; then
  echo "apt-get install failed; running apt-get update and trying again."
  "${sudo[@]}" apt-get update
  "${install[@]}"
fi

if ! "$python" -c "import torch, numpy" >/dev/null 2>&1; then
  echo "$python still cannot import torch and numpy after installing python3-torch and python3-numpy." >&2
  exit 1
fi
echo "Installed: $("$python" -c "import torch; print('torch', torch.__version__)") under $python."
