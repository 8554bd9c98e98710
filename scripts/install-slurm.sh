#!/usr/bin/env bash
# Installs what the Slurm tests need (Lottery.Tests/Scale/SlurmCluster.cs): Debian's slurm-wlm (slurmctld, slurmd,
# sbatch, squeue, scontrol, scancel, sinfo) and munge (munged). Does nothing when they are already there, and starts
# no daemon: the tests start their own cluster in a temporary folder and stop it by process id.
set -euo pipefail

# Daemons live in sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
for program in sbatch squeue scontrol scancel sinfo slurmctld slurmd munged; do
  command -v "$program" >/dev/null 2>&1 || missing+=("$program")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Slurm and munge are installed ($(slurmd -V), $(munged -V | cut -d" " -f1))."
  exit 0
fi
echo "Missing: ${missing[*]}; installing slurm-wlm and munge with apt-get."

bash "$(dirname "$0")/apt-install.sh" slurm-wlm munge

for program in sbatch slurmctld slurmd munged; do
  if ! command -v "$program" >/dev/null 2>&1; then
    echo "$program is still missing after installing slurm-wlm and munge." >&2
    exit 1
  fi
done
echo "Installed: $(slurmd -V), $(munged -V | cut -d" " -f1)."
