#!/usr/bin/env bash
# Install what the local stack needs from Debian when it is missing: PostgreSQL server
# binaries, Maven, a JDK >= 17 (Kafka, Flink) — and check for a JDK >= 21 (Apicurio Registry 3.3).
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v mvn >/dev/null || missing+=(maven)
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
# promtool (alert rule tests) and the Prometheus server of the alert integration test.
command -v promtool >/dev/null || missing+=(prometheus)
# Headless Chromium: the test that loads Prometheus's alerts and graph pages.
command -v chromium >/dev/null || missing+=(chromium)
# Go builds Compose's loader (cdc stack resolve --all), which checks docker-compose.yml.
command -v go >/dev/null || missing+=(golang-go)

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The Debian package starts a cluster of its own; the stack runs private ones instead.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null; then
    $SUDO pg_ctlcluster --force "$(ls /usr/lib/postgresql | sort -n | tail -1)" main stop 2>/dev/null || true
  fi
fi

have21=""
for rel in "${JAVA_HOME:-/nonexistent}/release" /usr/lib/jvm/*/release; do
  [ -f "$rel" ] || continue
  major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  if [ -n "$major" ] && [ "$major" -ge 21 ]; then have21="$rel"; break; fi
done
if [ -z "$have21" ]; then
  echo "error: Apicurio Registry 3.3 needs Java >= 21 and none was found in /usr/lib/jvm;" >&2
  echo "install one (e.g. Debian 13: apt-get install openjdk-21-jre-headless) or set CDC_STACK_REGISTRY_JAVA" >&2
  exit 1
fi
echo "system dependencies present (Java >= 21 at ${have21%/release})"
