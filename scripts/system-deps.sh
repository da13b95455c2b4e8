#!/usr/bin/env bash
# The Debian packages the tests drive for real: Chromium (end-to-end), pgbouncer (the transaction
# pooler), LibreOffice Calc (reads the CSV exports), PostgreSQL + Redis server binaries, and wrk
# (the HTTP load generator of `make bench`); the real peers of the integration tests: Mosquitto
# (MQTT ingest), nginx (the deploy/ proxy sample), Prometheus (scrapes /-/metrics),
# Alertmanager (a notification channel), docker-compose (checks deploy/compose.yaml).
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v soffice >/dev/null || need+=(libreoffice-calc-nogui)
command -v redis-server >/dev/null || need+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v openssl >/dev/null || need+=(openssl)
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || need+=(mosquitto)
command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx)
command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v docker-compose >/dev/null || need+=(docker-compose)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]}; install them (sudo apt-get install -y ${need[*]})" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
