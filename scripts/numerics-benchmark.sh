#!/usr/bin/env bash
# What the portable numerics profile costs against native, measured side by side on this machine: the profile is
# fixed per process, so the two alternate as separate processes. Prints figures only (BENCHMARKS.md quotes them).
#   1. `lottery benchmark` (one epoch of LeNet-300-100 dense and masked at 80%, median of --repeats) per profile;
#   2. the small experiment (18 runs, 1 worker, 1 thread) from an empty folder per profile, wall-clock seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-2}
dotnet build "$root/Lottery.Examples" -c Release --nologo -v quiet >/dev/null
lottery="$root/Lottery.Examples/bin/Release/net10.0/lottery"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), AVX-512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no), $(nproc) cores"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Fashion-MNIST's 60,000 images where Debian's dataset-fashion-mnist is installed, else the embedded digits.
data=mnist-digits
if [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then data=fashion-mnist; fi
for round in $(seq 1 "$rounds"); do
  for profile in portable native; do
    echo "== round $round, $profile: lottery benchmark --numerics $profile --data $data --repeats 5 --threads 1"
    "$lottery" benchmark --numerics "$profile" --data "$data" --repeats 5 --threads 1
  done
done
for round in $(seq 1 "$rounds"); do
  for profile in portable native; do
    out="$scratch/$profile-$round"
    start=$(date +%s.%N)
    "$lottery" run lenet-300-100-mnist-digits --seeds 1 --epochs 4 --rounds 4 --points 1 3 --workers 1 --threads 1 --numerics "$profile" --out "$out" >/dev/null
    end=$(date +%s.%N)
    printf 'round %s, %s: small experiment %.1f s\n' "$round" "$profile" "$(echo "$end - $start" | bc)"
  done
done
