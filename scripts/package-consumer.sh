#!/usr/bin/env bash
# Packs Lottery.Runtime (runtime, attributes, generator, native fix) into artifacts/packages, then builds and
# runs samples/PackageConsumer, which references only that package, as a user's application would.
# A fresh pre-release version per run keeps NuGet's cache from serving an older build of the package.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
rm -rf "$root/artifacts/packages"
dotnet pack "$root/Lottery.Runtime/Lottery.Runtime.csproj" -c Release -o "$root/artifacts/packages" -p:Version="$version" --nologo
dotnet run --project "$root/samples/PackageConsumer/PackageConsumer.csproj" -c Release -p:LotteryVersion="$version"

# The attributes' XML documentation travels in the package (so a user's editor shows it); zip keeps file names
# uncompressed, so the name is found in the package's bytes.
package="$root/artifacts/packages/Lottery.Runtime.$version.nupkg"
if ! grep -aq "lib/net10.0/Lottery.Runtime.xml" "$package"; then
  echo "The package $package holds no lib/net10.0/Lottery.Runtime.xml: the XML documentation is missing." >&2
  exit 1
fi
echo "The package carries the XML documentation (lib/net10.0/Lottery.Runtime.xml)."
