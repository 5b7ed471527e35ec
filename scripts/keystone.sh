#!/usr/bin/env bash
# Runs a real OpenStack Keystone on loopback, for the integration tier
# (test/keystone) and for trying zund's external Keystone mode by hand.
#
#   scripts/keystone.sh start DIR PORT   # http://127.0.0.1:PORT/v3
#   scripts/keystone.sh stop DIR
#
# start installs Debian's keystone package if it is missing, keeps
# everything of this Keystone under DIR (keystone.conf, an SQLite database,
# fernet and credential keys, logs, the pid file), serves it with uWSGI on
# 127.0.0.1:PORT in the background and waits until it answers. On first
# start it creates:
#
#   project admin    user admin (admin role)            password admin-secret
#   project service  user zun   (service role)          password zun-secret
#   project demo     user demo  (member role)           password demo-secret
#
# These are test values; DIR/keystone.env holds them as KEY=value lines
# and stdout gets the auth URL. start is idempotent: with Keystone already
# running from DIR it only prints the URL; with DIR set up before it only
# serves it again. stop ends the Keystone of DIR and leaves DIR in place.
set -euo pipefail
shopt -s inherit_errexit

log() { printf 'keystone.sh: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

usage() { die "usage: $0 start DIR PORT | stop DIR"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

ADMIN_PASSWORD=admin-secret
ZUN_PASSWORD=zun-secret
DEMO_PASSWORD=demo-secret

# ensure_installed makes sure keystone, uWSGI, curl and jq are there. The
# package's postinst enables and tries to start a system-wide Keystone on
# port 5000 (refused where /usr/sbin/policy-rc.d forbids starting
# services, as in containers); that one is stopped and disabled so that
# nothing but ours is left listening.
ensure_installed() {
	local need=()
	command -v keystone-manage >/dev/null 2>&1 || need+=(keystone)
	command -v uwsgi_python3 >/dev/null 2>&1 || need+=(uwsgi-plugin-python3)
	command -v curl >/dev/null 2>&1 || need+=(curl)
	command -v jq >/dev/null 2>&1 || need+=(jq)
	[ ${#need[@]} -eq 0 ] && return
	log "installing ${need[*]} (about a minute)"
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}")
	if ! $SUDO "${apt[@]}" >/dev/null; then
		log "install failed; running apt-get update and retrying"
		$SUDO apt-get update -qq
		$SUDO "${apt[@]}" >/dev/null
	fi
	if [[ " ${need[*]} " == *" keystone "* ]]; then
		if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
			$SUDO systemctl disable --now keystone >/dev/null 2>&1 || true
		else
			$SUDO update-rc.d keystone disable >/dev/null 2>&1 || true
			$SUDO /etc/init.d/keystone stop >/dev/null 2>&1 || true
		fi
	fi
}

# running tells whether the Keystone of DIR is alive.
running() {
	local pid
	[ -f "$DIR/keystone.pid" ] || return 1
	pid=$(cat "$DIR/keystone.pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

manage() {
	keystone-manage --config-file "$DIR/keystone.conf" "$@" >>"$DIR/keystone-manage.log" 2>&1 ||
		die "keystone-manage $1 failed; see $DIR/keystone-manage.log"
}

# setup writes the configuration and creates the database and keys.
setup() {
	mkdir -p "$DIR"
	cat >"$DIR/keystone.conf" <<EOF
# Written by scripts/keystone.sh: a throwaway Keystone for tests.
[DEFAULT]
log_dir = $DIR
log_file = keystone.log

[database]
connection = sqlite:///$DIR/keystone.db

[cache]
# Off, so that a revoked token is refused at once.
enabled = false

[token]
provider = fernet

[fernet_tokens]
key_repository = $DIR/fernet-keys

[fernet_receipts]
key_repository = $DIR/fernet-keys

[credential]
key_repository = $DIR/credential-keys
EOF
	mkdir -p "$DIR/fernet-keys" "$DIR/credential-keys"
	chmod 700 "$DIR/fernet-keys" "$DIR/credential-keys"
	manage db_sync
	# Write-ahead logging: Keystone leaves read transactions open here and
	# there (role creation fails on its own SELECTs otherwise, "database is
	# locked"); in WAL mode readers do not block a writer.
	sqlite3 "$DIR/keystone.db" 'PRAGMA journal_mode=WAL;' >/dev/null
	manage fernet_setup --keystone-user root --keystone-group root
	manage credential_setup --keystone-user root --keystone-group root
	manage bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
		--bootstrap-region-id RegionOne \
		--bootstrap-public-url "$URL" --bootstrap-internal-url "$URL"
	touch "$DIR/.setup"
}

serve() {
	rm -f "$DIR/keystone.pid"
	# One single-threaded worker: with SQLite, Keystone's connections must
	# be closed by the thread that opened them, else a lock is left behind
	# and writes fail with "database is locked". Plenty for tests.
	# --http11-socket keeps connections alive properly: with --http-socket
	# uWSGI closes each one without saying so, and a client that reuses it
	# gets "connection reset by peer".
	OS_KEYSTONE_CONFIG_FILES="$DIR/keystone.conf" uwsgi_python3 \
		--http11-socket "127.0.0.1:$PORT" \
		--wsgi-file /usr/bin/keystone-wsgi-public \
		--master --processes 1 --lazy-apps \
		--die-on-term --need-app \
		--pidfile "$DIR/keystone.pid" \
		--daemonize "$DIR/uwsgi.log" </dev/null >/dev/null 2>&1 ||
		die "uwsgi did not start; see $DIR/uwsgi.log"
	local i
	for i in $(seq 1 300); do
		if curl -sf -o /dev/null "$URL"; then return; fi
		# uwsgi writes its pid file before binding, and exits when it
		# cannot bind.
		if [ "$i" -gt 5 ] && ! running; then
			die "uwsgi exited: $(tail -n 1 "$DIR/uwsgi.log")"
		fi
		sleep 0.1
	done
	die "keystone does not answer on $URL after 30s; see $DIR/uwsgi.log and $DIR/keystone.log"
}

# The REST calls of provision.

auth_body() { # user password project
	jq -n --arg u "$1" --arg p "$2" --arg pr "$3" '{auth: {
		identity: {methods: ["password"], password: {user: {name: $u, domain: {id: "default"}, password: $p}}},
		scope: {project: {name: $pr, domain: {id: "default"}}}}}'
}

api() { # method path [json]
	local args=(-sS -f -X "$1" -H "X-Auth-Token: $ADMIN_TOKEN" -H 'Content-Type: application/json')
	[ $# -ge 3 ] && args+=(-d "$3")
	curl "${args[@]}" "$URL$2"
}

# ensure KIND NAME JSON: the id of the KIND (projects, users, roles) named
# NAME, created from JSON if there is none.
ensure() {
	local id
	id=$(api GET "/$1?name=$2" | jq -r ".$1[0].id // empty")
	if [ -z "$id" ]; then
		id=$(api POST "/$1" "$3" | jq -r '.[].id')
	fi
	echo "$id"
}

# provision creates the projects, users and role assignments above.
provision() {
	ADMIN_TOKEN=$(curl -sS -f -D - -o /dev/null -H 'Content-Type: application/json' \
		-d "$(auth_body admin "$ADMIN_PASSWORD" admin)" "$URL/auth/tokens?nocatalog" |
		tr -d '\r' | awk 'tolower($1) == "x-subject-token:" { print $2 }')
	[ -n "$ADMIN_TOKEN" ] || die "could not authenticate as admin"
	local service demo zun demouser role_service role_member
	service=$(ensure projects service '{"project": {"name": "service", "domain_id": "default"}}')
	demo=$(ensure projects demo '{"project": {"name": "demo", "domain_id": "default"}}')
	zun=$(ensure users zun "$(jq -n --arg p "$ZUN_PASSWORD" --arg pr "$service" \
		'{user: {name: "zun", domain_id: "default", password: $p, default_project_id: $pr}}')")
	demouser=$(ensure users demo "$(jq -n --arg p "$DEMO_PASSWORD" --arg pr "$demo" \
		'{user: {name: "demo", domain_id: "default", password: $p, default_project_id: $pr}}')")
	role_service=$(ensure roles service '{"role": {"name": "service"}}')
	role_member=$(ensure roles member '{"role": {"name": "member"}}')
	api PUT "/projects/$service/users/$zun/roles/$role_service" >/dev/null
	api PUT "/projects/$demo/users/$demouser/roles/$role_member" >/dev/null
	touch "$DIR/.provisioned"
}

write_env() {
	cat >"$DIR/keystone.env" <<EOF
OS_AUTH_URL=$URL
ADMIN_PASSWORD=$ADMIN_PASSWORD
ZUN_USERNAME=zun
ZUN_PASSWORD=$ZUN_PASSWORD
ZUN_PROJECT_NAME=service
DEMO_USERNAME=demo
DEMO_PASSWORD=$DEMO_PASSWORD
DEMO_PROJECT_NAME=demo
EOF
}

start() {
	if running; then
		log "already running from $DIR"
		echo "$URL"
		return
	fi
	ensure_installed
	[ -f "$DIR/.setup" ] || setup
	serve
	[ -f "$DIR/.provisioned" ] || provision
	write_env
	log "serving $URL from $DIR (pid $(cat "$DIR/keystone.pid"))"
	echo "$URL"
}

stop() {
	running || {
		rm -f "$DIR/keystone.pid"
		return 0
	}
	local pid i
	pid=$(cat "$DIR/keystone.pid")
	kill -TERM "$pid"
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "uwsgi master $pid still alive after 10s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/keystone.pid"
	log "stopped the keystone of $DIR"
}

case "${1:-}" in
start)
	[ $# -eq 3 ] || usage
	DIR=$(realpath -m "$2") PORT=$3 URL="http://127.0.0.1:$3/v3"
	start
	;;
stop)
	[ $# -eq 2 ] || usage
	DIR=$(realpath -m "$2")
	stop
	;;
*) usage ;;
esac
