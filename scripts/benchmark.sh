#!/usr/bin/env bash
# Masked against dense training speed on Fashion-MNIST (installs the data set first if it is missing).
#   scripts/benchmark.sh [benchmark options...]    e.g. scripts/benchmark.sh --repeats 10 --threads 1
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ -z "${LOTTERY_DATA:-}" ] && [ ! -d data/fashion-mnist ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq dataset-fashion-mnist
fi
exec dotnet run -c Release --project Lottery.Examples -- benchmark "$@"
