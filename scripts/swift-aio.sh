#!/usr/bin/env bash
# A private OpenStack Swift on loopback, from Debian's packages, for tests and benchmarks:
# proxy (tempauth + s3api), account, container and object servers and a memcached, one replica,
# everything (config, rings, data, logs, pids) under DIR. Nothing in /etc/swift is read or changed.
#
#   scripts/swift-aio.sh start DIR [PORT]   # PORT: the proxy (default 18080); the others use PORT+1..PORT+4
#   scripts/swift-aio.sh stop DIR
#
# start prints the credentials as shell assignments (tempauth account "test", user "tester"):
#   SWIFT_AUTH_URL=http://127.0.0.1:PORT/auth/v1.0 SWIFT_USER=test:tester SWIFT_KEY=... S3_ENDPOINT=http://127.0.0.1:PORT
#   S3_ACCESS_KEY=test:tester S3_SECRET_KEY=...
# The key is random per start and is written to DIR/credentials (mode 0600), never passed as a process argument.
set -euo pipefail

usage() { echo "usage: $0 start DIR [PORT] | stop DIR" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd=$1
dir=$(realpath -m "$2")
port=${3:-18080}

stop() {
    for pidfile in "$dir"/run/*.pid; do
        [[ -e $pidfile ]] || continue
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 50); do
        alive=0
        for pidfile in "$dir"/run/*.pid; do
            [[ -e $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && alive=1
        done
        [[ $alive == 0 ]] && break
        sleep 0.1
    done
    for pidfile in "$dir"/run/*.pid; do
        [[ -e $pidfile ]] || continue
        kill -9 "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    done
}

case $cmd in
stop) stop; exit 0 ;;
start) ;;
*) usage ;;
esac

for tool in swift-proxy-server swift-account-server swift-container-server swift-object-server swift-ring-builder memcached; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/install-deps.sh (packages swift-proxy swift-account swift-container swift-object memcached)" >&2; exit 1; }
done

user=$(id -un)
mkdir -p "$dir"/{etc,srv/d1,run,log}
chmod 700 "$dir"
key=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
hash=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
memcached_port=$((port + 4))

cat > "$dir/etc/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = $hash
swift_hash_path_prefix = $hash
[storage-policy:0]
name = Policy-0
default = yes
EOF

common="[DEFAULT]
swift_dir = $dir/etc
devices = $dir/srv
mount_check = false
bind_ip = 127.0.0.1
workers = 1
user = $user
log_facility = LOG_LOCAL0
log_name = swift
"
server_conf() { # name port
    cat > "$dir/etc/$1-server.conf" <<EOF
$common
bind_port = $2

[pipeline:main]
pipeline = $1-server

[app:$1-server]
use = egg:swift#$1

[$1-replicator]
[$1-updater]
[$1-auditor]
EOF
}
server_conf account $((port + 1))
server_conf container $((port + 2))
server_conf object $((port + 3))

cat > "$dir/etc/proxy-server.conf" <<EOF
$common
bind_port = $port

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = $key .admin

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
check_bucket_owner = false

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$memcached_port

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOF

cd "$dir/etc"
for ring in account:$((port + 1)) container:$((port + 2)) object:$((port + 3)); do
    name=${ring%%:*}
    rport=${ring##*:}
    rm -f "$name.builder" "$name.ring.gz"
    swift-ring-builder "$name.builder" create 10 1 1 >/dev/null
    swift-ring-builder "$name.builder" add "r1z1-127.0.0.1:$rport/d1" 1 >/dev/null
    swift-ring-builder "$name.builder" rebalance >/dev/null 2>&1 || true
done
chown -R "$user" "$dir"

stop
setsid memcached -l 127.0.0.1 -p "$memcached_port" -U 0 -u "$( [[ $user == root ]] && echo nobody || echo "$user")" -m 32 \
    >"$dir/log/memcached.log" 2>&1 </dev/null &
echo $! > "$dir/run/memcached.pid"
for server in account container object proxy; do
    # The servers daemonise themselves only through swift-init; here they run in the background, logging to files.
    setsid "swift-$server-server" "$dir/etc/$server-server.conf" >"$dir/log/$server.log" 2>&1 </dev/null &
    echo $! > "$dir/run/$server.pid"
done

# Ready when tempauth hands out a token and an object can be written and removed (account, container and object servers all up).
for _ in $(seq 1 100); do
    if token=$(curl -fsS -o /dev/null -D - -H "X-Auth-User: test:tester" -H @<(printf 'X-Auth-Key: %s\n' "$key") \
            "http://127.0.0.1:$port/auth/v1.0" 2>/dev/null | tr -d '\r' | awk -F': ' 'tolower($1)=="x-auth-token"{print $2}') \
       && [[ -n $token ]] \
       && curl -fsS -o /dev/null -H @<(printf 'X-Auth-Token: %s\n' "$token") "http://127.0.0.1:$port/v1/AUTH_test" \
       && curl -fsS -o /dev/null -X PUT -H @<(printf 'X-Auth-Token: %s\n' "$token") "http://127.0.0.1:$port/v1/AUTH_test/aio-probe" \
       && curl -fsS -o /dev/null -X PUT --data-binary probe -H @<(printf 'X-Auth-Token: %s\n' "$token") "http://127.0.0.1:$port/v1/AUTH_test/aio-probe/o" \
       && curl -fsS -o /dev/null -X DELETE -H @<(printf 'X-Auth-Token: %s\n' "$token") "http://127.0.0.1:$port/v1/AUTH_test/aio-probe/o" \
       && curl -fsS -o /dev/null -X DELETE -H @<(printf 'X-Auth-Token: %s\n' "$token") "http://127.0.0.1:$port/v1/AUTH_test/aio-probe"; then
        umask 077
        cat > "$dir/credentials" <<EOF
SWIFT_AUTH_URL=http://127.0.0.1:$port/auth/v1.0
SWIFT_USER=test:tester
SWIFT_KEY=$key
S3_ENDPOINT=http://127.0.0.1:$port
S3_ACCESS_KEY=test:tester
S3_SECRET_KEY=$key
EOF
        cat "$dir/credentials"
        exit 0
    fi
    sleep 0.1
done
echo "Swift did not answer on 127.0.0.1:$port; logs in $dir/log:" >&2
tail -n 20 "$dir"/log/*.log >&2
stop
exit 1
