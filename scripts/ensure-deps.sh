#!/usr/bin/env bash
# Installs and starts what zund and its tests need on a Debian machine:
# Docker Engine from Debian's docker.io (started if not running),
# Debian's busybox-static (the demo image is built from it), and iproute2
# and iptables for the data plane of tenant networks. Idempotent:
# a second run changes nothing and takes a second.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf 'ensure-deps: %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
	log "Go is not installed: install Go 1.26 or newer (https://go.dev/dl/) and retry"
	exit 1
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# The data plane of tenant networks (ip, bridge, iptables, nsenter).
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables-restore >/dev/null 2>&1 || need+=(iptables)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Security groups filter bridged traffic: br_netfilter (built in on some
# kernels, where modprobe has nothing to do).
[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || $SUDO modprobe br_netfilter 2>/dev/null || true

# The engine's own client; another docker CLI may come first on PATH.
docker_ping() {
	local cli=/usr/bin/docker
	[ -x "$cli" ] || cli=docker
	timeout 5 "$cli" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

if ! docker_ping; then
	if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
		log "starting docker with systemctl"
		$SUDO systemctl start docker || true
	fi
fi
if ! docker_ping; then
	log "starting dockerd in the background (log: /var/log/zun-dockerd.log)"
	$SUDO sh -c 'nohup dockerd >/var/log/zun-dockerd.log 2>&1 &'
	for _ in $(seq 1 60); do
		docker_ping && break
		sleep 0.5
	done
fi
if ! docker_ping; then
	log "Docker Engine did not come up; see /var/log/zun-dockerd.log"
	exit 1
fi
log "Docker Engine $(/usr/bin/docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?') is running"
