#!/usr/bin/env bash
# Installs the Debian packages and the OS user Hoard needs. Safe to run again: installs only what is missing.
set -euo pipefail

packages=(mariadb-server mariadb-client libmariadb3 mariadb-backup postgresql-15 postgresql-client-15 redis-server libhiredis0.14
          python3-troveclient python3-openstackclient curl
          e2fsprogs mount   # mkfs.ext4, losetup/mount/umount: loopfs volumes
          nftables          # nft: instances' allowed_cidrs
          haproxy           # replication sets' stable write endpoints
          iproute2          # ip netns: tests/Hoard.IntegrationTests/ManyHostsTests simulate hosts as network namespaces
          rabbitmq-server   # the rabbitmq bus transport; its contract tests start a private broker
          chromium          # tests/Hoard.DashboardTests: the dashboard driven by Playwright
          python3-keystone uwsgi-plugin-python3  # tests: a real Keystone on loopback for Hoard:Identity:Mode=keystone (~15 s)
          swift-proxy swift-account swift-container swift-object memcached python3-swiftclient)  # scripts/swift-aio.sh: backups to Swift and S3 in tests
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "$(id -u)" -ne 0 ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "hoard: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "hoard: installing ${missing[*]}"
  # Hoard runs its own private servers: keep apt from starting the system-wide MariaDB.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" > /tmp/hoard-apt.log 2>&1 || { tail -30 /tmp/hoard-apt.log >&2; exit 1; }
  [ $created_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# Database servers and guest agents run as this unprivileged user, never as root.
if ! id dbaas >/dev/null 2>&1; then
  useradd --system --create-home --home-dir /var/lib/hoard-dbaas --shell /usr/sbin/nologin dbaas
fi
