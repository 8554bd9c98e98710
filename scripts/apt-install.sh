#!/usr/bin/env bash
# Installs Debian packages with apt-get, as root or through sudo, refreshing the package lists only when the install
# fails without them (a fresh image has none). Used by install-slurm.sh and install-pytorch.sh.
# Usage: bash scripts/apt-install.sh package...
set -euo pipefail

if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install $* with this system's package manager." >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "Not root and no sudo: run as root 'apt-get install -y $*'." >&2
    exit 1
  fi
  sudo=(sudo)
fi
install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@")
if ! "${install[@]}"; then
  echo "apt-get install failed; running apt-get update and trying again."
  "${sudo[@]}" apt-get update
  "${install[@]}"
fi
