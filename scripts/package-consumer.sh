#!/usr/bin/env bash
# Packs Lottery.Runtime (runtime, attributes, generator, native fix) and Lottery.CommandLine into artifacts/packages,
# then builds and runs samples/PackageConsumer, which references only the runtime's package, as a user's application
# would, and samples/HostConsumer, a user's console app that hosts every lottery command for its own experiment.
# A fresh pre-release version per run keeps NuGet's cache from serving an older build of the package.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
rm -rf "$root/artifacts/packages"
dotnet pack "$root/Lottery.Runtime/Lottery.Runtime.csproj" -c Release -o "$root/artifacts/packages" -p:Version="$version" --nologo
dotnet pack "$root/Lottery.CommandLine/Lottery.CommandLine.csproj" -c Release -o "$root/artifacts/packages" -p:Version="$version" --nologo
dotnet run --project "$root/samples/PackageConsumer/PackageConsumer.csproj" -c Release -p:LotteryVersion="$version"

# The attributes' XML documentation travels in the package (so a user's editor shows it); zip keeps file names
# uncompressed, so the name is found in the package's bytes.
package="$root/artifacts/packages/Lottery.Runtime.$version.nupkg"
if ! grep -aq "lib/net10.0/Lottery.Runtime.xml" "$package"; then
  echo "The package $package holds no lib/net10.0/Lottery.Runtime.xml: the XML documentation is missing." >&2
  exit 1
fi
echo "The package carries the XML documentation (lib/net10.0/Lottery.Runtime.xml)."

# A user's own program hosts the command line: its experiment runs on two worker processes (which start that same
# program), reports, lists, exports to ONNX, and its Slurm sweep calls that program.
host_project="$root/samples/HostConsumer/HostConsumer.csproj"
dotnet build "$host_project" -c Release -p:LotteryVersion="$version" --nologo -v quiet
host_folder=$(dotnet msbuild "$host_project" -p:Configuration=Release -p:LotteryVersion="$version" -getProperty:TargetDir)
host="$host_folder/HostConsumer"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$host" list --out "$work/results" | grep -q "tiny-on-digits" || { echo "HostConsumer list does not show its experiment tiny-on-digits." >&2; exit 1; }
"$host" run tiny-on-digits --workers 2 --out "$work/results"
test -s "$work/results/tiny-on-digits/summary.csv" || { echo "HostConsumer run wrote no summary." >&2; exit 1; }
rows=$(($(wc -l < "$work/results/tiny-on-digits/summary.csv") - 1))
[[ "$rows" == 6 ]] || { echo "HostConsumer's summary has $rows rows; expected 6 (dense, IMP rounds 0 to 2, EveryEpoch at points 1 and 2)." >&2; exit 1; }
"$host" report tiny-on-digits --out "$work/results" >/dev/null
imp_run=$(ls -d "$work"/results/runs/imp-*/ | head -n 1)
"$host" export "${imp_run%/}" --compact --to "$work/tiny.onnx"
test -s "$work/tiny.onnx" || { echo "HostConsumer export wrote no ONNX file." >&2; exit 1; }
"$host" sweep tiny-on-digits --slurm --out "$work/results" >/dev/null
script="$work/results/tiny-on-digits/sweep/slurm/stage-0.sbatch"
grep -q "HostConsumer" "$script" || { echo "The Slurm script $script does not start HostConsumer:" >&2; grep exec "$script" >&2; exit 1; }
echo "samples/HostConsumer hosts the command line: run --workers 2 ($rows rows), report, list, export --compact, sweep --slurm (its tasks start $(grep -m1 '^exec' "$script" | cut -d' ' -f2))."
