#!/usr/bin/env bash
# hapi.sh — a real HAPI FHIR JPA server (FHIR R4) for the project's tests.
#
# Why: the Go tests in record/ and web/ post real FHIR transaction Bundles
# (conditional creates, conditional references, client-assigned PUTs) and ask
# for $validate; a stub would agree with whatever we send. This runs HAPI's own
# JPA server (scripts/hapi/: HAPI 8.8.0 from Maven Central, in-memory H2,
# embedded Jetty, loopback only) so they talk to the real thing. CI's
# scripts/test.sh is meant to call `scripts/hapi.sh start` before the tests.
#
#   scripts/hapi.sh build          build the server (Maven; only when pom.xml or
#                                  the sources changed), print its folder
#   scripts/hapi.sh start [PORT]   build if needed, start in the background, wait
#                                  for GET /fhir/metadata = 200, print the base URL
#                                  (the only line on stdout; all else on stderr)
#   scripts/hapi.sh stop [PORT]    stop it (idempotent)
#   scripts/hapi.sh status [PORT]  print the base URL if it answers, else exit 1
#
# PORT: argument, else $HAPI_PORT, else 8091. Every start is an empty server.
# Nothing is written to the work tree: Maven's cache is ~/.m2, the build, the
# log and the pid file live under ${XDG_CACHE_HOME:-~/.cache}/callscribe/hapi.
# Environment: HAPI_START_TIMEOUT (s, default 120), HAPI_JAVA_OPTS (extra JVM
# options), JAVA (default java), MVN (default mvn).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/hapi" && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/callscribe/hapi"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"
# C1 only and the serial collector: start-up on 2 cores halves (33 s -> 16 s);
# the tests' load is light, so peak speed does not matter.
JVM_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx1g)

log() { echo "hapi.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# The build is named by a hash of what goes into it, so that a rebuild happens
# only when the sources change.
build_hash() {
	(cd "$SRC" && { cat pom.xml; find src -type f | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done; } | sha256sum | cut -c1-16)
}

build_dir() { echo "$CACHE/build-$(build_hash)"; }

# Class-data sharing: the first start of a build runs with
# -XX:ArchiveClassesAtExit, so that when it is stopped the JVM writes the classes
# it loaded to an archive (JDK 17 can only write it at exit); later starts map
# that archive (-XX:SharedArchiveFile) and start about a third faster. Nothing
# is spent on it in `build` or `start`; `stop` waits the ~15 s the JVM takes to
# write it, once per build. A server killed instead of stopped writes none, and
# a start without an archive is only slower.

cmd_build() {
	local dir tmp t0
	dir="$(build_dir)"
	mkdir -p "$CACHE"
	exec 9>"$CACHE/build.lock"
	flock 9 # one build at a time (parallel test runs)
	if [[ -f "$dir/callscribe-hapi.jar" ]]; then
		echo "$dir"
		return
	fi
	command -v "$MVN" >/dev/null || die "Maven ($MVN) not found: apt-get install maven"
	tmp="$CACHE/tmp-build.$$"
	rm -rf "$tmp"
	t0=$SECONDS
	log "building $dir (first time: Maven downloads HAPI and its dependencies, ~300 MB, into ~/.m2)"
	# Offline first, so that a warm ~/.m2 needs no network; online if that fails.
	if ! "$MVN" -B -q -Dstyle.color=never -o -f "$SRC/pom.xml" -Dhapi.build.dir="$tmp" package >"$CACHE/mvn-offline.log" 2>&1; then
		log "offline build failed (see $CACHE/mvn-offline.log): building online"
		"$MVN" -B -q -Dstyle.color=never -f "$SRC/pom.xml" -Dhapi.build.dir="$tmp" package >&2 ||
			die "Maven build failed"
	fi
	rm -rf "$tmp/classes" "$tmp/generated-sources" "$tmp/maven-archiver" "$tmp/maven-status"
	# Old builds are ~0.5 GB each: keep only this one.
	find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name 'build-*' -exec rm -rf {} +
	mv "$tmp" "$dir"
	log "built in $((SECONDS - t0)) s"
	echo "$dir"
}

port_of() { echo "${1:-${HAPI_PORT:-8091}}"; }

# Our server's pid from the pid file, only if that process is still our server.
live_pid() {
	local pidfile="$CACHE/run/hapi-$1.pid" pid
	[[ -f "$pidfile" ]] || return 1
	pid="$(cat "$pidfile")"
	[[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'callscribe-hapi.jar' &&
		echo "$pid"
}

answers() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1/metadata" || true)" == 200 ]]; }

cmd_start() {
	local port url dir logf pidfile pid t0 timeout cds=()
	port="$(port_of "${1:-}")"
	[[ "$port" =~ ^[0-9]+$ ]] || die "bad port: $port"
	url="http://127.0.0.1:$port/fhir"
	if pid="$(live_pid "$port")" && answers "$url"; then
		log "already running (pid $pid)"
		echo "$url"
		return
	fi
	dir="$(cmd_build)"
	mkdir -p "$CACHE/run"
	logf="$CACHE/run/hapi-$port.log"
	pidfile="$CACHE/run/hapi-$port.pid"
	if answers "$url"; then
		die "something else already answers at $url; stop it or pick another port"
	fi
	rm -f "$CACHE/run/hapi-$port.cds"
	if [[ -f "$dir/app.jsa" ]]; then
		cds=(-XX:SharedArchiveFile="$dir/app.jsa" -Xlog:cds=off)
	else # this run makes the archive when it is stopped (see above)
		rm -f "$dir/app.jsa.tmp-$port"
		cds=(-XX:ArchiveClassesAtExit="$dir/app.jsa.tmp-$port" -Xlog:cds=off)
		echo "$dir/app.jsa.tmp-$port" >"$CACHE/run/hapi-$port.cds"
	fi
	log "starting HAPI FHIR on $url; log: $logf"
	t0=$(date +%s.%N)
	# setsid: the server outlives this script and its shell's job control.
	# shellcheck disable=SC2086 # HAPI_JAVA_OPTS is a list of options
	setsid "$JAVA" "${JVM_OPTS[@]}" "${cds[@]}" ${HAPI_JAVA_OPTS:-} \
		-jar "$dir/callscribe-hapi.jar" "$port" </dev/null >"$logf" 2>&1 &
	pid=$!
	echo "$pid" >"$pidfile"
	timeout="${HAPI_START_TIMEOUT:-120}"
	while ! answers "$url"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pidfile"
			log "the server exited before it answered; last lines of $logf:"
			tail -n 40 "$logf" >&2
			exit 1
		fi
		if (($(date +%s) - ${t0%.*} >= timeout)); then
			log "no answer from $url/metadata after ${timeout} s; last lines of $logf:"
			tail -n 40 "$logf" >&2
			cmd_stop "$port"
			exit 1
		fi
		sleep 0.5
	done
	log "up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (pid $pid)"
	echo "$url"
}

cmd_stop() {
	local port pid i wait=40 cdsf="" jsa="" killed=""
	port="$(port_of "${1:-}")"
	[[ -f "$CACHE/run/hapi-$port.cds" ]] && jsa="$(cat "$CACHE/run/hapi-$port.cds")"
	if pid="$(live_pid "$port")"; then
		if [[ -n "$jsa" ]]; then
			wait=240 # the JVM writes its class-data-sharing archive on the way out
			log "stopping pid $pid; it writes its class-data-sharing archive first (~15 s, once per build)"
		fi
		kill "$pid" 2>/dev/null || true
		for ((i = 0; i < wait; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "pid $pid did not stop in $((wait / 2)) s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			killed=1
		fi
		log "stopped (pid $pid)"
	else
		log "not running on port $port"
	fi
	if [[ -n "$jsa" ]]; then
		cdsf="${jsa%.tmp-*}"
		if [[ -z "$killed" && -s "$jsa" && ! -e "$cdsf" ]] && ! live_pid "$port" >/dev/null; then
			mv "$jsa" "$cdsf" && log "class-data-sharing archive written: $cdsf"
		else
			rm -f "$jsa"
		fi
	fi
	rm -f "$CACHE/run/hapi-$port.pid" "$CACHE/run/hapi-$port.cds"
}

cmd_status() {
	local url
	url="http://127.0.0.1:$(port_of "${1:-}")/fhir"
	answers "$url" || die "nothing answers at $url"
	echo "$url"
}

case "${1:-}" in
build) cmd_build ;;
start) cmd_start "${2:-}" ;;
stop) cmd_stop "${2:-}" ;;
status) cmd_status "${2:-}" ;;
*) die "usage: $0 build | start [PORT] | stop [PORT] | status [PORT]" ;;
esac
