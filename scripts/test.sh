#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit and integration, against real servers).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
dotnet build Hoard.slnx -c Release --nologo -v quiet
log=$(mktemp)
set +e
# A hung test is killed after 5 minutes and named in the output, rather than holding the run until CI's limit.
dotnet test Hoard.slnx -c Release --no-build --nologo --blame-hang-timeout 5m 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run, summed over the test projects.
awk '/Failed:[ ]*[0-9]+, Passed:/ {
       for (i = 1; i <= NF; i++) { g = $i; gsub(/,/, "", g)
         if ($(i-1) == "Failed:") f += g; if ($(i-1) == "Passed:") p += g; if ($(i-1) == "Skipped:") s += g } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
