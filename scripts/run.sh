#!/usr/bin/env bash
# Runs Hoard on embedded defaults (SQLite, embedded bus, local processes) in the foreground.
# Installs what is missing, builds, starts hoard-server, and prints where to reach it and how to log in.
# Ctrl+C stops the server; running database instances keep running and are picked up again on the next start.
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="${HOARD_DATA_DIR:-/var/lib/hoard}"
listen="${HOARD_LISTEN:-http://127.0.0.1:8779}"

scripts/install-deps.sh
echo "hoard: building"
mkdir -p "$data_dir"
chmod 711 "$data_dir"
dotnet publish src/Hoard.Server/Hoard.Server.csproj -c Release -o "$data_dir/bin" --nologo -v quiet > /tmp/hoard-build.log 2>&1 \
  || { tail -40 /tmp/hoard-build.log >&2; exit 1; }
# The host agent is published too, for adding machines (Hoard:Compute=hosts, docs/distributed.md "Many hosts").
dotnet publish src/Hoard.HostAgent/Hoard.HostAgent.csproj -c Release -o "$data_dir/host-agent" --nologo -v quiet > /tmp/hoard-build.log 2>&1 \
  || { tail -40 /tmp/hoard-build.log >&2; exit 1; }
dotnet publish src/Hoard.Cli/Hoard.Cli.csproj -c Release -o "$data_dir/cli" --nologo -v quiet > /tmp/hoard-build.log 2>&1 \
  || { tail -40 /tmp/hoard-build.log >&2; exit 1; }
ln -sf "$data_dir/cli/hoard" /usr/local/bin/hoard

dotnet "$data_dir/bin/hoard-server.dll" --Hoard:DataDir="$data_dir" --Hoard:Listen="$listen" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM

for _ in $(seq 1 300); do
  curl -fsS "$listen/" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "hoard: the server exited; see the messages above" >&2; exit 1; }
  sleep 0.1
done

cat <<MSG

  Hoard is running.
    Dashboard:         $listen/  (log in with the credentials below)
    API (Trove v1.0):  $listen/v1.0/<project_id>
    Identity (v3):     $listen/v3
    Credentials:       $data_dir/admin-openrc.sh

MSG
sed -n 's/^export \(OS_USERNAME\|OS_PASSWORD\|OS_PROJECT_NAME\)=/    \1=/p' "$data_dir/admin-openrc.sh"
cat <<MSG

  In another terminal:
    source $data_dir/admin-openrc.sh
    openstack database instance create shop-db --flavor 2 --size 1 --datastore mariadb --datastore-version 10.11 --databases shop --users app:app-secret-1
    openstack database instance show shop-db        # ACTIVE within seconds; then: mariadb -h <ip> -u app -p shop
  or with Hoard's own CLI (docs/cli.md):
    hoard instance create shop-db --flavor 2 --size 1 --datastore mariadb --datastore-version 10.11 --database shop --wait
    hoard connect shop-db

  Ctrl+C stops the server.
MSG
wait $server
