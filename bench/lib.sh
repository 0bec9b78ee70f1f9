# bench/lib.sh - what bench/run.sh and bench/curves.sh share: finding the
# Postfix tools, the temp dir and its cleanup, building sealgate and the
# helpers, and starting sealgate, Postfix and smtp-sink for one run.
# Sourced, never run. The caller sets ROOT, BENCH_CLIENT, STARTTLS, ENCRYPT,
# N, SIZE, SESSIONS, PER_DEST, TIMEOUT, FROM, TO, LOAD_TO, LOAD_PHI first,
# then calls bench_checks and bench_setup.
#
# Hooks for the curves (unset: run.sh's behaviour):
#   SG_RESOLVER=127.0.0.1:PORT  MX delivery through this DNS server, to
#                     relay.mx_port = the sink's port, instead of a smarthost
#   SG_RELAY_EXTRA    more lines for the relay: section (2-space indented)
#   SG_KEY_FILES      more key/certificate files to `sealgate keys import`
#   LOAD_RCPTS=1      recipients per message (loadgen -rcpts)
#   LOAD_DOMAINS=1    recipient domains (loadgen -domains)
#   SINK_COUNT        messages the sink waits for (default N)

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
OPENDKIM=$(find_tool opendkim)
# POSTFIX_DKIM=1 (default): Postfix signs through an OpenDKIM milter, as
# sealgate signs itself.
POSTFIX_DKIM=${POSTFIX_DKIM:-1}
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

now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", n / t; else print "-" }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# bench_checks: refuse early when a tool or root is missing.
bench_checks() {
	if [[ -z $SINK || ( $BENCH_CLIENT == smtp-source && -z $SOURCE ) ]]; then
		echo "bench: smtp-sink (and smtp-source for BENCH_CLIENT=smtp-source) not found; they come with Postfix: apt-get install postfix" >&2
		exit 1
	fi
	if [[ -z ${SKIP_POSTFIX:-} && ( -z $POSTFIX || -z $POSTCONF ) ]]; then
		echo "bench: postfix not found (apt-get install postfix), or set SKIP_POSTFIX=1" >&2
		exit 1
	fi
	if [[ -z ${SKIP_POSTFIX:-} && $POSTFIX_DKIM == 1 && -z $OPENDKIM ]]; then
		echo "bench: opendkim not found (apt-get install opendkim), or set POSTFIX_DKIM=0" >&2
		exit 1
	fi
	if [[ $(id -u) != 0 && -z ${SKIP_POSTFIX:-} ]]; then
		echo "bench: a private Postfix instance needs root (or set SKIP_POSTFIX=1)" >&2
		exit 1
	fi
}

# bench_setup: the temp dir, its cleanup on exit, and the binaries.
bench_setup() {
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	TMP=$(mktemp -d "${BENCH_TMP:-/tmp}/sgbench.XXXXXX")
	chmod 755 "$TMP" # the postfix user must reach its queue below it

	trap cleanup EXIT
	trap 'exit 130' INT TERM
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
}

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
	if [[ -n ${SG_RESOLVER:-} ]]; then
		# MX delivery: every domain's MX is 127.0.0.1 (benchtool dns), on
		# the sink's port.
		sed -i -e "s/^  smarthost: .*/  resolver: $SG_RESOLVER/" -e "s/^  smarthost_tls: .*/  mx_port: $3/" "$d/sealgate.yaml"
	fi
	if [[ -n ${SG_RELAY_EXTRA:-} ]]; then
		awk -v extra="$SG_RELAY_EXTRA" '{ print } /^  max_per_domain:/ { print extra }' "$d/sealgate.yaml" >"$d/sealgate.yaml.new"
		mv "$d/sealgate.yaml.new" "$d/sealgate.yaml"
	fi
	chmod 600 "$d/sealgate.yaml"
	# The encrypted runs' recipients have their key or certificate in the
	# store, as a partner's would.
	local keys=()
	[[ -n $ENCRYPT ]] && keys=("$TMP/recipient-keys/pgp.asc" "$TMP/recipient-keys/smime-1.crt")
	# shellcheck disable=SC2206 # a list of paths without spaces
	[[ -n ${SG_KEY_FILES:-} ]] && keys+=($SG_KEY_FILES)
	if ((${#keys[@]} > 0)); then
		"$TMP/sealgate" keys import -c "$d/sealgate.yaml" "${keys[@]}" >"$d/keys-import.log" 2>&1 || {
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
	elif [[ -n ${STRACE_DIR:-} ]]; then
		# Count the file syscalls of the daemon (strace -c): per message,
		# divide by N. SG_PID is strace's; stop_sealgate stops the daemon.
		strace -f -c -o "$STRACE_DIR/$(basename "$1").strace" \
			-e trace=fsync,fdatasync,openat,rename,renameat,mkdir,mkdirat,unlink,unlinkat \
			"$TMP/sealgate" serve -c "$1/sealgate.yaml" >"$1/sealgate.log" 2>&1 &
	else
		"$TMP/sealgate" serve -c "$1/sealgate.yaml" >"$1/sealgate.log" 2>&1 &
	fi
	SG_PID=$!
	PIDS+=("$SG_PID")
	"$TMP/benchtool" waitport "127.0.0.1:$2" 20s
}

# stop_sealgate: stops what start_sealgate started (under strace: the
# daemon first, then strace writes its counts and exits).
stop_sealgate() {
	if [[ -n ${STRACE_DIR:-} ]]; then
		pkill -TERM -P "$SG_PID" 2>/dev/null || true
	fi
	stop_pid "$SG_PID"
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
		-rcpts "${LOAD_RCPTS:-1}" -domains "${LOAD_DOMAINS:-1}" \
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
		echo "bench: $name: sink did not get ${SINK_COUNT:-$N} messages within ${TIMEOUT}s; last sink counter:" >&2
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
	start_sink "$SINK_PORT" "${SINK_COUNT:-$N}" "$TMP/sink-$name.log"
	SG_PORT=$(port)
	sealgate_config "$TMP/$name" "$SG_PORT" "$SINK_PORT"
	start_sealgate "$TMP/$name" "$SG_PORT" ${PROFILE:+profile}
	load "$name" "$SG_PORT" "$2"
	printf -v "SG_HWM_$name" %s "$(awk '/VmHWM/ { print $2 }' "/proc/$SG_PID/status")"
	stop_sealgate
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
	start_sink "$SINK_PORT" "${SINK_COUNT:-$N}" "$TMP/sink-$name.log"
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

