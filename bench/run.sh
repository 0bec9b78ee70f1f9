#!/usr/bin/env bash
# bench/run.sh - throughput of sealgate vs a local Postfix, and sealgate's
# peak RSS for one large message. Loopback (127.0.0.1) only.
#
#   make bench                       # or: bash bench/run.sh
#   N=5000 SIZE=10240 SESSIONS=20 bash bench/run.sh
#
# Environment (defaults):
#   BENCH_CLIENT=loadgen  the load client: loadgen (bench/loadgen, speaks
#                     STARTTLS, reuses connections) or smtp-source (Postfix's,
#                     plaintext, a new connection per message: the old bench)
#   STARTTLS=1        loadgen: STARTTLS on ingress, for both servers (0: plaintext)
#   REUSE="100 1"     loadgen: messages per connection; one throughput run of
#                     each server per value (1 = a new connection per message)
#   N=5000            messages per throughput run
#   SIZE=10240        bytes per message (loadgen -size: header included;
#                     smtp-source -l: payload bytes)
#   SESSIONS=20       parallel SMTP sessions (loadgen -sessions, smtp-source -s)
#   PER_DEST=20       concurrent connections to the next hop, for both
#                     (sealgate relay.max_per_domain, Postfix
#                     default_destination_concurrency_limit)
#   BIG_SIZES="5000000 50000000"   single-message sizes for the RSS test
#   ENCRYPT="pgp smime"  sealgate-only runs per REUSE value with PHI in every
#                     message to a recipient with an OpenPGP key (pgp) or an
#                     S/MIME certificate (smime), reported against sealgate's
#                     plain figure of the same value ("" skips them)
#   POSTFIX_DKIM=1    Postfix signs too, through an OpenDKIM milter (apt-get install
#                     opendkim), so both servers DKIM-sign every message; 0: Postfix
#                     without DKIM (the bench before DKIM was added to sealgate's runs)
#   SKIP_POSTFIX=1    skip the Postfix run
#   SKIP_RSS=1        skip the RSS test
#   AUDIT_TMPFS=1     put sealgate's audit log on /dev/shm (to measure what its fsyncs cost)
#   TIMEOUT=240       seconds to wait for the sink to get all N messages
#   GIT_REV=HEAD      build sealgate from a clean export of this commit
#                     instead of the work tree (default: the work tree)
#   BENCH_TMP=/tmp    where the temp dir (spools, queues) goes; /dev/shm
#                     takes the disk out of the picture
#   KEEP=1            keep the temp directory (logs, configs) for a look
#   PROFILE=1         run the sealgate throughput phase under bench/sgprof
#                     and write a CPU and heap profile to PROFILE_DIR
#                     (default /tmp): go tool pprof -top PROFILE_DIR/sealgate-cpu.pprof
#
# The system Postfix (/etc/postfix, port 25) is never touched: Postfix runs
# from its own config directory under the temp dir, on its own port.
set -euo pipefail

BENCH_CLIENT=${BENCH_CLIENT:-loadgen}
STARTTLS=${STARTTLS:-1}
REUSE=${REUSE:-"100 1"}
ENCRYPT=${ENCRYPT-"pgp smime"}
POSTFIX_DKIM=${POSTFIX_DKIM:-1}
N=${N:-5000}
SIZE=${SIZE:-10240}
SESSIONS=${SESSIONS:-20}
PER_DEST=${PER_DEST:-20}
BIG_SIZES=${BIG_SIZES:-"5000000 50000000"}
TIMEOUT=${TIMEOUT:-240}
FROM=from@clinic.test
TO=to@partner.test
# What the load client sends (set per run): its recipient, and whether
# every body carries PHI.
LOAD_TO=$TO
LOAD_PHI=0

ROOT=$(cd "$(dirname "$0")/.." && pwd)

find_tool() { # name -> path, or empty
	local p
	p=$(command -v "$1" 2>/dev/null || true)
	if [[ -z $p ]]; then
		for d in /usr/sbin /usr/local/sbin; do
			[[ -x $d/$1 ]] && p=$d/$1 && break
		done
	fi
	echo "$p"
}
SOURCE=$(find_tool smtp-source)
SINK=$(find_tool smtp-sink)
POSTFIX=$(find_tool postfix)
POSTCONF=$(find_tool postconf)
case $BENCH_CLIENT in
loadgen) ;;
smtp-source) REUSE=1 STARTTLS=0 ENCRYPT="" ;; # what smtp-source does; the report says so
*)
	echo "bench: BENCH_CLIENT=$BENCH_CLIENT: want loadgen or smtp-source" >&2
	exit 1
	;;
esac
if [[ -z $SINK || ( $BENCH_CLIENT == smtp-source && -z $SOURCE ) ]]; then
	echo "bench: smtp-sink (and smtp-source for BENCH_CLIENT=smtp-source) not found; they come with Postfix: apt-get install postfix" >&2
	exit 1
fi
if [[ -z ${SKIP_POSTFIX:-} && ( -z $POSTFIX || -z $POSTCONF ) ]]; then
	echo "bench: postfix not found (apt-get install postfix), or set SKIP_POSTFIX=1" >&2
	exit 1
fi
OPENDKIM=$(find_tool opendkim)
if [[ -z ${SKIP_POSTFIX:-} && $POSTFIX_DKIM == 1 && -z $OPENDKIM ]]; then
	echo "bench: opendkim not found (apt-get install opendkim), or set POSTFIX_DKIM=0" >&2
	exit 1
fi
if [[ $(id -u) != 0 && -z ${SKIP_POSTFIX:-} ]]; then
	echo "bench: a private Postfix instance needs root (or set SKIP_POSTFIX=1)" >&2
	exit 1
fi

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d "${BENCH_TMP:-/tmp}/sgbench.XXXXXX")
chmod 755 "$TMP" # the postfix user must reach its queue below it
PIDS=()
PF_DIR=""

cleanup() {
	local rc=$?
	set +e
	if [[ -n $PF_DIR && -f $PF_Q/pid/master.pid ]]; then
		"$POSTFIX" -c "$PF_DIR" stop >/dev/null 2>&1
	fi
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [[ -n ${KEEP:-} ]]; then
		echo "bench: kept $TMP"
	else
		rm -rf "$TMP"
	fi
	rm -rf /dev/shm/sgbench-audit-$$-*
	[[ -n ${DKIM_DIR:-} ]] && rm -rf "$DKIM_DIR"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", n / t; else print "-" }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

SRC=$ROOT
if [[ -n ${GIT_REV:-} ]]; then
	# A clean export of one commit, so edits in progress do not count.
	mkdir "$TMP/src"
	(cd "$ROOT" && git archive "$GIT_REV") | tar -x -C "$TMP/src"
	SRC=$TMP/src
	REV=$(cd "$ROOT" && git rev-parse --short "$GIT_REV")
else
	REV=$(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo unknown)
fi
echo "bench: building sealgate ($REV) and helpers"
(cd "$SRC" && go build -o "$TMP/sealgate" ./cmd/sealgate)
(cd "$ROOT" && go build -o "$TMP/benchtool" ./bench/benchtool)
(cd "$ROOT" && go build -o "$TMP/loadgen" ./bench/loadgen)
if [[ -n $ENCRYPT ]]; then
	mkdir -p "$TMP/recipient-keys"
	"$TMP/benchtool" recipient-keys "$TMP/recipient-keys"
fi
if [[ -n ${PROFILE:-} ]]; then
	PROFILE_DIR=${PROFILE_DIR:-/tmp}
	# sgprof links the gateway package, so build it inside the same source.
	mkdir -p "$SRC/bench/sgprof"
	[[ $SRC == "$ROOT" ]] || cp "$ROOT/bench/sgprof/main.go" "$SRC/bench/sgprof/"
	(cd "$SRC" && go build -o "$TMP/sgprof" ./bench/sgprof)
fi
port() { "$TMP/benchtool" freeport; }

# start_sink PORT COUNT LOGFILE: a fresh smtp-sink that exits after COUNT
# messages. Sets SINK_PID.
start_sink() {
	"$SINK" -u nobody -c -M "$2" "127.0.0.1:$1" 1000 >"$3" 2>&1 &
	SINK_PID=$!
	PIDS+=("$SINK_PID")
	"$TMP/benchtool" waitport "127.0.0.1:$1" 10s
}

# wait_sink: wait until the sink exits (all messages in) or TIMEOUT. Prints
# the end time; returns 1 on timeout.
wait_sink() {
	local deadline
	deadline=$(($(date +%s) + TIMEOUT))
	while kill -0 "$SINK_PID" 2>/dev/null; do
		if (($(date +%s) > deadline)); then
			return 1
		fi
		sleep 0.02
	done
	now
}

# sealgate_config DIR LISTENPORT SINKPORT
sealgate_config() {
	local d=$1
	mkdir -p "$d"
	cp "$ROOT/testdata/tls/relay.crt" "$ROOT/testdata/tls/relay.key" "$d/"
	chmod 600 "$d/relay.crt" "$d/relay.key"
	# Benchmark-only key; the spool is thrown away afterwards.
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$d/spool.key"
	echo >>"$d/spool.key"
	chmod 600 "$d/spool.key"
	# Builds with the audit log need its signing key; older ones reject
	# the unknown key, so add the section only when keygen knows it.
	local audit=""
	if "$TMP/sealgate" keygen audit >"$d/audit.key" 2>/dev/null; then
		chmod 600 "$d/audit.key"
		audit=$'audit:\n  signing_key_file: audit.key'
		if [[ -n ${AUDIT_TMPFS:-} ]]; then
			# Measures what the audit log's fsyncs cost: the same log on tmpfs.
			mkdir -p "/dev/shm/sgbench-audit-$$-$2"
			audit+=$'\n'"  dir: /dev/shm/sgbench-audit-$$-$2"
		fi
	fi
	# Builds with the policy engine scan every message with the shipped
	# default policy; its last rule (TLS required) becomes "pass" here,
	# because smtp-sink offers no STARTTLS. Every PHI rule stays in force.
	# Every copy is DKIM-signed for the sender's domain, as in production.
	local dkim=""
	if "$TMP/sealgate" dkim keygen clinic.test bench --out "$d/dkim.pem" >/dev/null 2>&1; then
		dkim=$'dkim:\n  keys:\n    - {domain: clinic.test, selector: bench, key_file: dkim.pem}'
	fi
	local policy=""
	if [ -f "$ROOT/policy/default.yaml" ]; then
		sed 's/^    action: require_tls$/    action: pass/' "$ROOT/policy/default.yaml" >"$d/policy.yaml"
		policy=$'policy:\n  paths: [policy.yaml]'
	fi
	cat >"$d/sealgate.yaml" <<EOF
hostname: sealgate.bench
data_dir: data
spool:
  key_file: spool.key
log:
  level: info
  format: json
admin:
  listen: 127.0.0.1:0
listeners:
  - name: in
    listen: 127.0.0.1:$2
    tls:
      mode: starttls
      cert_file: relay.crt
      key_file: relay.key
    relay:
      allow_ips: [127.0.0.1]
limits:
  max_message_size: 60MiB
  max_connections_per_ip: $((SESSIONS + 10))
relay:
  smarthost: 127.0.0.1:$3
  smarthost_tls: may
  max_concurrency: $PER_DEST
  max_per_domain: $PER_DEST
$audit
$policy
$dkim
EOF
	chmod 600 "$d/sealgate.yaml"
	# The encrypted runs' recipients have their key or certificate in the
	# store, as a partner's would.
	if [[ -n $ENCRYPT ]]; then
		"$TMP/sealgate" keys import -c "$d/sealgate.yaml" "$TMP/recipient-keys/pgp.asc" "$TMP/recipient-keys/smime.crt" >"$d/keys-import.log" 2>&1 || {
			echo "bench: keys import failed:" >&2
			cat "$d/keys-import.log" >&2
			exit 1
		}
	fi
}

# start_sealgate DIR LISTENPORT [profile]: sets SG_PID.
start_sealgate() {
	if [[ ${3:-} == profile ]]; then
		"$TMP/sgprof" -c "$1/sealgate.yaml" -cpuprofile "$PROFILE_DIR/sealgate-cpu.pprof" \
			-memprofile "$PROFILE_DIR/sealgate-heap.pprof" >"$1/sealgate.log" 2>&1 &
	else
		"$TMP/sealgate" serve -c "$1/sealgate.yaml" >"$1/sealgate.log" 2>&1 &
	fi
	SG_PID=$!
	PIDS+=("$SG_PID")
	"$TMP/benchtool" waitport "127.0.0.1:$2" 20s
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# send COUNT SIZE SESSIONS REUSE PORT LOG: the load client, BENCH_CLIENT.
# loadgen verifies the servers' certificate (both use testdata/tls/relay.crt)
# and writes one JSON line to LOG.
send() {
	if [[ $BENCH_CLIENT == smtp-source ]]; then
		"$SOURCE" -s "$3" -m "$1" -l "$2" -f "$FROM" -t "$TO" "127.0.0.1:$5" >"$6" 2>&1
		return
	fi
	local tls=()
	[[ $STARTTLS == 1 ]] && tls=(-starttls -ca "$ROOT/testdata/tls/relay.crt")
	[[ $LOAD_PHI == 1 ]] && tls+=(-phi)
	"$TMP/loadgen" -addr "127.0.0.1:$5" -messages "$1" -size "$2" -sessions "$3" -reuse "$4" \
		-from "$FROM" -to "$LOAD_TO" "${tls[@]}" >"$6" 2>&1
}

# json_field LOG KEY: a number from loadgen's JSON line, or "-".
json_field() {
	local v
	v=$(sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1" 2>/dev/null | head -1)
	echo "${v:--}"
}

# load NAME PORT REUSE: runs the load client against PORT and records
# ACC_<NAME> and E2E_<NAME> (msgs/s), their seconds, and the client's
# p50/p99 latency (loadgen only).
load() {
	local name=$1 p=$2 t0 t1 t2
	t0=$(now)
	if ! send "$N" "$SIZE" "$SESSIONS" "$3" "$p" "$TMP/source-$name.log"; then
		echo "bench: $BENCH_CLIENT against $name failed:" >&2
		tail -5 "$TMP/source-$name.log" >&2
		return 1
	fi
	t1=$(now)
	if ! t2=$(wait_sink); then
		echo "bench: $name: sink did not get $N messages within ${TIMEOUT}s; last sink counter:" >&2
		tr '\r' '\n' <"$TMP/sink-$name.log" | tail -2 >&2
		return 1
	fi
	printf -v "ACC_S_$name" %s "$(secs "$t0" "$t1")"
	printf -v "E2E_S_$name" %s "$(secs "$t0" "$t2")"
	printf -v "ACC_$name" %s "$(rate "$N" "$(secs "$t0" "$t1")")"
	printf -v "E2E_$name" %s "$(rate "$N" "$(secs "$t0" "$t2")")"
	printf -v "P50_$name" %s "$(json_field "$TMP/source-$name.log" p50_ms)"
	printf -v "P99_$name" %s "$(json_field "$TMP/source-$name.log" p99_ms)"
	echo "bench: $name: accepted $N in $(secs "$t0" "$t1")s, all at the sink after $(secs "$t0" "$t2")s"
	if [[ $BENCH_CLIENT == loadgen ]]; then
		echo "bench: $name: loadgen: $(cat "$TMP/source-$name.log")"
	fi
}

# ---------------------------------------------------------------- sealgate
# run_sealgate NAME REUSE: one throughput run against a fresh sealgate and
# sink. Records SG_HWM_<NAME> (VmHWM in KiB after the run).
run_sealgate() {
	local name=$1
	echo "bench: $name: N=$N SIZE=$SIZE SESSIONS=$SESSIONS REUSE=$2 PER_DEST=$PER_DEST"
	SINK_PORT=$(port)
	start_sink "$SINK_PORT" "$N" "$TMP/sink-$name.log"
	SG_PORT=$(port)
	sealgate_config "$TMP/$name" "$SG_PORT" "$SINK_PORT"
	start_sealgate "$TMP/$name" "$SG_PORT" ${PROFILE:+profile}
	load "$name" "$SG_PORT" "$2"
	printf -v "SG_HWM_$name" %s "$(awk '/VmHWM/ { print $2 }' "/proc/$SG_PID/status")"
	stop_pid "$SG_PID"
	stop_pid "$SINK_PID"
	if [[ -n ${PROFILE:-} ]]; then
		echo "bench: profiles (of the last sealgate run): $PROFILE_DIR/sealgate-cpu.pprof $PROFILE_DIR/sealgate-heap.pprof"
	fi
}

# ----------------------------------------------------------------- Postfix
# postfix_setup: the private instance's directories and config, once.
postfix_setup() {
	echo "bench: postfix: private instance in $TMP/pf (config: postfix -c $TMP/pf/conf)"
	PF_DIR=$TMP/pf/conf # queue and data live beside it, not below it
	PF_Q=$TMP/pf/queue
	PF_DATA=$TMP/pf/data
	mkdir -p "$PF_DIR" "$PF_Q" "$PF_DATA"
	chown postfix "$PF_DATA"
	# The certificate sealgate presents too; smtpd reads it as root.
	cp "$ROOT/testdata/tls/relay.crt" "$ROOT/testdata/tls/relay.key" "$PF_DIR/"
	chmod 600 "$PF_DIR/relay.key"
	PF_PORT=$(port)
	# master.cf: the system one, with our loopback port for smtpd and no
	# chroot (a chroot would need a copy of /etc files under the queue).
	awk -v port="$PF_PORT" '
		/^[a-z]/ && NF >= 8 && $5 == "y" { $5 = "n" }
		/^smtp[ \t]+inet/ { $1 = "127.0.0.1:" port }
		/^#?submission|^#?smtps/ { next }
		{ print }' /etc/postfix/master.cf >"$PF_DIR/master.cf"
	# relayhost is set per run, to that run's sink.
	cat >"$PF_DIR/main.cf" <<EOF
compatibility_level = 3.6
myhostname = postfix.bench
mydomain = bench.test
myorigin = \$myhostname
queue_directory = $PF_Q
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains =
relayhost =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_tls_security_level = none
smtpd_tls_security_level = may
smtpd_tls_cert_file = $PF_DIR/relay.crt
smtpd_tls_key_file = $PF_DIR/relay.key
alias_maps =
alias_database =
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
default_process_limit = 100
default_destination_concurrency_limit = $PER_DEST
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
message_size_limit = 62914560
EOF
	if [[ $POSTFIX_DKIM == 1 ]]; then
		# OpenDKIM as Postfix's milter, signing clinic.test with an RSA-2048
		# key as sealgate does; a milter failure tempfails (fails closed).
		# OpenDKIM refuses a config or key under a world-writable directory
		# such as /tmp: its files live in a private directory under /run.
		DKIM_DIR=$(mktemp -d /run/sgbench-dkim.XXXXXX)
		local dk=$DKIM_DIR
		DKIM_PORT=$(port)
		"$TMP/sealgate" dkim keygen clinic.test bench --out "$dk/bench.private" >/dev/null
		chown opendkim "$dk" "$dk/bench.private" 2>/dev/null || true
		cat >"$dk/opendkim.conf" <<EOF
Syslog no
Mode s
Domain clinic.test
Selector bench
KeyFile $dk/bench.private
Canonicalization relaxed/relaxed
Socket inet:$DKIM_PORT@127.0.0.1
PidFile $dk/opendkim.pid
UserID opendkim
EOF
		"$OPENDKIM" -f -x "$dk/opendkim.conf" >"$dk/opendkim.log" 2>&1 &
		PIDS+=("$!")
		"$TMP/benchtool" waitport "127.0.0.1:$DKIM_PORT" 10s
		cat >>"$PF_DIR/main.cf" <<EOF
smtpd_milters = inet:127.0.0.1:$DKIM_PORT
non_smtpd_milters = inet:127.0.0.1:$DKIM_PORT
milter_default_action = tempfail
milter_protocol = 6
EOF
	fi
	"$POSTFIX" -c "$PF_DIR" check >"$TMP/postfix-check.log" 2>&1 || {
		echo "bench: postfix check failed:" >&2
		cat "$TMP/postfix-check.log" >&2
		exit 1
	}
}

# run_postfix NAME REUSE: one throughput run against the private Postfix,
# started for it with a fresh sink as relayhost, stopped after.
run_postfix() {
	local name=$1
	echo "bench: $name: N=$N SIZE=$SIZE SESSIONS=$SESSIONS REUSE=$2 PER_DEST=$PER_DEST"
	SINK_PORT=$(port)
	start_sink "$SINK_PORT" "$N" "$TMP/sink-$name.log"
	"$POSTCONF" -c "$PF_DIR" -e "relayhost = [127.0.0.1]:$SINK_PORT"
	"$POSTFIX" -c "$PF_DIR" start >"$TMP/postfix-start.log" 2>&1 || {
		echo "bench: postfix start failed:" >&2
		cat "$TMP/postfix-start.log" "$PF_DIR/maillog" >&2 2>/dev/null
		exit 1
	}
	"$TMP/benchtool" waitport "127.0.0.1:$PF_PORT" 20s
	load "$name" "$PF_PORT" "$2" || { tail -20 "$PF_DIR/maillog" >&2; exit 1; }
	"$POSTFIX" -c "$PF_DIR" stop >/dev/null 2>&1 || true
	stop_pid "$SINK_PID"
}

# ------------------------------------------------------------- throughput
# For each reuse value: sealgate, then Postfix, so each pair runs under the
# same conditions.
if [[ -z ${SKIP_POSTFIX:-} ]]; then
	postfix_setup
fi
RUNS=()
for r in $REUSE; do
	run_sealgate "sealgate_r$r" "$r"
	RUNS+=("sealgate_r$r")
	if [[ -z ${SKIP_POSTFIX:-} ]]; then
		run_postfix "postfix_r$r" "$r"
		RUNS+=("postfix_r$r")
	fi
	# Encrypted: PHI in every message, to a recipient with a key; sealgate
	# only (Postfix does not encrypt), right after its plain run.
	for enc in $ENCRYPT; do
		LOAD_PHI=1 LOAD_TO=to-$enc@partner.test
		run_sealgate "sealgate_${enc}_r$r" "$r"
		LOAD_PHI=0 LOAD_TO=$TO
	done
done

# --------------------------------------------------------------------- RSS
declare -A HWM
if [[ -z ${SKIP_RSS:-} ]]; then
	for sz in $BIG_SIZES; do
		SINK_PORT=$(port)
		start_sink "$SINK_PORT" 1 "$TMP/sink-rss-$sz.log"
		SG_PORT=$(port)
		sealgate_config "$TMP/rss-$sz" "$SG_PORT" "$SINK_PORT"
		start_sealgate "$TMP/rss-$sz" "$SG_PORT"
		idle=$(awk '/VmHWM/ { print $2 }' "/proc/$SG_PID/status")
		send 1 "$sz" 1 1 "$SG_PORT" "$TMP/source-rss-$sz.log" || {
			echo "bench: $BENCH_CLIENT ($sz bytes) failed:" >&2
			cat "$TMP/source-rss-$sz.log" >&2
			exit 1
		}
		wait_sink >/dev/null || { echo "bench: the $sz-byte message never reached the sink" >&2; exit 1; }
		HWM[$sz]="$idle $(awk '/VmHWM/ { print $2 }' "/proc/$SG_PID/status")"
		stop_pid "$SG_PID"
		stop_pid "$SINK_PID"
	done
fi

# ------------------------------------------------------------------ report
echo
echo "== sealgate $REV; $(nproc) CPUs; load average before: $LOAD0 =="
if [[ $BENCH_CLIENT == loadgen ]]; then
	tlsword=plaintext
	[[ $STARTTLS == 1 ]] && tlsword="STARTTLS on ingress"
	echo "== throughput: loadgen, N=$N messages of $SIZE bytes, $SESSIONS sessions, $tlsword, $PER_DEST connections to the sink =="
	if [[ -z ${SKIP_POSTFIX:-} ]]; then
		dk="Postfix without DKIM (POSTFIX_DKIM=0)"
		[[ $POSTFIX_DKIM == 1 ]] && dk="Postfix DKIM-signs through OpenDKIM, as sealgate signs itself"
		echo "== $dk =="
	fi
else
	echo "== throughput: smtp-source, N=$N messages of $SIZE payload bytes, $SESSIONS sessions, plaintext, a new connection per message, $PER_DEST connections to the sink =="
fi
printf "%-10s %6s %14s %14s %12s %12s %9s %9s\n" "server" "reuse" "accepted msg/s" "e2e msg/s" "accept s" "e2e s" "p50 ms" "p99 ms"
row() { # NAME SERVER REUSE
	local a=ACC_$1 e=E2E_$1 as=ACC_S_$1 es=E2E_S_$1 p5=P50_$1 p9=P99_$1
	printf "%-10s %6s %14s %14s %12s %12s %9s %9s\n" "$2" "$3" "${!a}" "${!e}" "${!as}" "${!es}" "${!p5}" "${!p9}"
}
for r in $REUSE; do
	row "sealgate_r$r" sealgate "$r"
	if [[ -z ${SKIP_POSTFIX:-} ]]; then
		row "postfix_r$r" postfix "$r"
		a=ACC_sealgate_r$r b=ACC_postfix_r$r c=E2E_sealgate_r$r d=E2E_postfix_r$r
		printf "%-10s %6s %14s %14s\n" "ratio s/p" "$r" \
			"$(awk -v a="${!a}" -v b="${!b}" 'BEGIN { printf "%.2f", a / b }')" \
			"$(awk -v a="${!c}" -v b="${!d}" 'BEGIN { printf "%.2f", a / b }')"
	fi
done
if [[ -n $ENCRYPT ]]; then
	echo
	echo "== encrypted: PHI in every message to one recipient with a key (sealgate only); ratio e/p = encrypted/plain, same reuse =="
	printf "%-10s %6s %14s %14s %12s %12s %9s %9s\n" "content" "reuse" "accepted msg/s" "e2e msg/s" "accept s" "e2e s" "p50 ms" "p99 ms"
	for r in $REUSE; do
		for enc in $ENCRYPT; do
			row "sealgate_${enc}_r$r" "$enc" "$r"
			a=ACC_sealgate_${enc}_r$r b=ACC_sealgate_r$r c=E2E_sealgate_${enc}_r$r d=E2E_sealgate_r$r
			printf "%-10s %6s %14s %14s\n" "ratio e/p" "$r" \
				"$(awk -v a="${!a}" -v b="${!b}" 'BEGIN { printf "%.2f", a / b }')" \
				"$(awk -v a="${!c}" -v b="${!d}" 'BEGIN { printf "%.2f", a / b }')"
		done
	done
fi
for r in $REUSE; do
	h=SG_HWM_sealgate_r$r
	echo "sealgate peak RSS after the throughput run with reuse $r: $((${!h} / 1024)) MiB"
done
if [[ -z ${SKIP_RSS:-} ]]; then
	echo
	echo "== sealgate peak RSS (VmHWM) relaying ONE message, fresh process each =="
	printf "%-16s %14s %18s\n" "message bytes" "idle HWM MiB" "after relay MiB"
	for sz in $BIG_SIZES; do
		read -r idle peak <<<"${HWM[$sz]}"
		printf "%-16s %14s %18s\n" "$sz" "$(awk -v k="$idle" 'BEGIN { printf "%.1f", k / 1024 }')" \
			"$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')"
	done
fi
