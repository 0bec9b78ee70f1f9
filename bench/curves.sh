#!/usr/bin/env bash
# bench/curves.sh - scale curves: how sealgate's throughput changes with
# sessions, connection reuse, message size, recipients per message, a large
# deferred queue, and the number of destination domains; beside a private
# Postfix where Postfix applies. Loopback (127.0.0.1) only. Each series is
# one run of this script, so ratios within a series are the figure: the
# machine may be shared, and the load average before each series is recorded.
#
#   make curves                              # or: bash bench/curves.sh
#   SERIES="sessions sizes" N=500 bash bench/curves.sh
#
# Environment (defaults):
#   SERIES="sessions sizes rcpts mx queue"   which series to run
#   N=1000            messages per point (sessions series)
#   SESSIONS_LIST="1 20 100"  REUSE_LIST="1 100"   the sessions series
#   SIZES="1024 10240 102400 1048576"   the sizes series (20 sessions, reuse 100)
#   SIZE_MAX_MB=500   the sizes series sends min(N, SIZE_MAX_MB MB / size)
#                     messages per point, so 1 MB points stay short
#   RCPTS_LIST="1 10 100"  RCPT_N=300   the rcpts series: messages per point;
#                     sealgate plain, Postfix, and sealgate with PHI to
#                     recipients that all have S/MIME certificates (one
#                     encrypted copy per recipient: RCPT_N x R deliveries)
#   DOMAINS_LIST="1 10 100 1000"  MX_N=2000   the mx series: sealgate only,
#                     delivering by MX through a DNS server on 127.0.0.1
#                     (benchtool dns); Postfix cannot use a DNS port other
#                     than 53, so it is not in this series
#   QUEUE_N=100000    the queue series: messages deferred (smarthost down);
#                     a list ("5000 20000") gives one fresh sealgate each
#   QUEUE_SIZE=1024   bytes per queued message
#   QUEUE_RETRY=300s  retry_min = retry_max in the queue series: longer than
#                     one round's CPU, or rounds overlap and the figure is
#                     a saturated core
#   QUEUE_WINDOW=300  seconds of retry rounds over which scheduler CPU is read
#   QUEUE_TIMEOUT=1800   seconds allowed for the fill and for the drain
#   SESSIONS=20 SIZE=10240 PER_DEST=20 STARTTLS=1   as in run.sh
#   SKIP_POSTFIX=1    sealgate only
#   PROFILE_POINT=NAME   run that one point (e.g. sizes_sealgate__1024, the
#                     CSV row's series_server_variant_x; queue_5000 for a queue)
#                     under bench/sgprof; profiles in PROFILE_DIR (/tmp)
#   OUT=bench/out     curves.csv, curves.md (tables), queue.txt, curves.log
#   PLOT=1            draw docs/bench-{sessions,sizes,rcpts}.png (bench/plot)
#   BENCH_TMP, KEEP, GIT_REV, TIMEOUT=240   as in run.sh
set -euo pipefail

BENCH_CLIENT=loadgen
STARTTLS=${STARTTLS:-1}
ENCRYPT=""
SERIES=${SERIES:-"sessions sizes rcpts mx queue"}
N=${N:-1000}
SIZE=${SIZE:-10240}
SESSIONS=${SESSIONS:-20}
PER_DEST=${PER_DEST:-20}
TIMEOUT=${TIMEOUT:-240}
SESSIONS_LIST=${SESSIONS_LIST:-"1 20 100"}
REUSE_LIST=${REUSE_LIST:-"1 100"}
SIZES=${SIZES:-"1024 10240 102400 1048576"}
SIZE_MAX_MB=${SIZE_MAX_MB:-500}
RCPTS_LIST=${RCPTS_LIST:-"1 10 100"}
RCPT_N=${RCPT_N:-300}
DOMAINS_LIST=${DOMAINS_LIST:-"1 10 100 1000"}
MX_N=${MX_N:-2000}
QUEUE_N=${QUEUE_N:-100000}
QUEUE_SIZE=${QUEUE_SIZE:-1024}
QUEUE_RETRY=${QUEUE_RETRY:-300s}
QUEUE_WINDOW=${QUEUE_WINDOW:-300}
QUEUE_TIMEOUT=${QUEUE_TIMEOUT:-1800}
PLOT=${PLOT:-1}
FROM=from@clinic.test
TO=to@partner.test
LOAD_TO=$TO
LOAD_PHI=0

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/bench/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/curves.log") 2>&1
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_checks
bench_setup
T_START=$(now)
if [[ -n ${PROFILE_POINT:-} ]]; then
	PROFILE_DIR=${PROFILE_DIR:-/tmp}
	(cd "$SRC" && go build -o "$TMP/sgprof" ./bench/sgprof)
fi

CSV=$OUT/curves.csv
echo "series,server,variant,x,n,acc_msg_s,e2e_msg_s,acc_mb_s,e2e_mb_s,p50_ms,p99_ms,load1" >"$CSV"
: >"$OUT/series-load.txt"

# series_start NAME: the load average before the series, for the report.
series_start() {
	local l
	l=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "$1 $l" >>"$OUT/series-load.txt"
	echo "curves: == series $1; load average $l; $(secs "$T_START" "$(now)")s into the run =="
}

mbs() { awk -v r="$1" -v s="$2" 'BEGIN { if (r == "-" || r == "") print "-"; else printf "%.2f", r * s / 1e6 }'; }

# point SERIES SERVER VARIANT X REUSE COUNT: one run (sealgate or postfix)
# with the current SIZE, SESSIONS, LOAD_*; appends its row to the CSV. A
# sealgate point that fails is recorded as "-" and the series goes on.
point() {
	local series=$1 server=$2 variant=$3 x=$4 reuse=$5 count=$6
	local name=${series}_${server}_${variant// /_}_$x
	name=${name//[^A-Za-z0-9_]/}
	local load1 saved_n=$N
	load1=$(cut -d' ' -f1 /proc/loadavg)
	N=$count
	if [[ $server == sealgate ]]; then
		local prof=""
		[[ $name == "${PROFILE_POINT:-}" ]] && prof=1
		PROFILE=$prof run_sealgate "$name" "$reuse" || true
	else
		run_postfix "$name" "$reuse"
	fi
	N=$saved_n
	local a=ACC_$name e=E2E_$name p5=P50_$name p9=P99_$name
	if [[ -z ${!a:-} ]]; then
		echo "curves: $name FAILED (see $OUT/curves.log)" >&2
		echo "$series,$server,$variant,$x,$count,-,-,-,-,-,-,$load1" >>"$CSV"
		return
	fi
	echo "$series,$server,$variant,$x,$count,${!a},${!e},$(mbs "${!a}" "$SIZE"),$(mbs "${!e}" "$SIZE"),${!p5},${!p9},$load1" >>"$CSV"
}

if [[ -z ${SKIP_POSTFIX:-} ]]; then
	postfix_setup
	# Postfix's default splits a message at 50 recipients per transaction;
	# sealgate sends a copy's recipients in one. Same for both here.
	"$POSTCONF" -c "$PF_DIR" -e "smtp_destination_recipient_limit = 1000"
fi
servers() { # the servers of a series where Postfix applies
	echo sealgate
	[[ -n ${SKIP_POSTFIX:-} ]] || echo postfix
}

for s in $SERIES; do
	case $s in
	sessions)
		series_start sessions
		for r in $REUSE_LIST; do
			for ses in $SESSIONS_LIST; do
				for srv in $(servers); do
					SESSIONS=$ses point sessions "$srv" "reuse $r" "$ses" "$r" "$N"
				done
			done
		done
		;;
	sizes)
		series_start sizes
		for sz in $SIZES; do
			n=$((SIZE_MAX_MB * 1000000 / sz))
			((n > N)) && n=$N
			for srv in $(servers); do
				SIZE=$sz point sizes "$srv" "" "$(awk -v s="$sz" 'BEGIN { print s / 1024 }')" 100 "$n"
			done
		done
		;;
	rcpts)
		series_start rcpts
		for rc in $RCPTS_LIST; do
			for srv in $(servers); do
				LOAD_RCPTS=$rc point rcpts "$srv" plain "$rc" 100 "$RCPT_N"
			done
			# Every recipient has a certificate: one S/MIME copy each.
			d=$TMP/certs-$rc
			mkdir -p "$d"
			"$TMP/benchtool" smime-certs "$d" "$rc" to-smime@partner.test
			# RCPT_N x rc deliveries: allow them the time.
			TIMEOUT=$((TIMEOUT + TIMEOUT * rc / 10)) LOAD_RCPTS=$rc LOAD_PHI=1 LOAD_TO=to-smime@partner.test SINK_COUNT=$((RCPT_N * rc)) \
				SG_KEY_FILES="$(echo "$d"/*.crt)" point rcpts sealgate smime "$rc" 100 "$RCPT_N"
		done
		;;
	mx)
		series_start mx
		DNS_PORT=$(port)
		"$TMP/benchtool" dns "127.0.0.1:$DNS_PORT" >"$TMP/dns.log" 2>&1 &
		DNS_PID=$!
		PIDS+=("$DNS_PID")
		"$TMP/benchtool" waitport "127.0.0.1:$DNS_PORT" 10s
		for dom in $DOMAINS_LIST; do
			SG_RESOLVER=127.0.0.1:$DNS_PORT LOAD_DOMAINS=$dom point mx sealgate "by MX" "$dom" 100 "$MX_N"
		done
		stop_pid "$DNS_PID"
		;;
	queue)
		series_start queue
		. "$ROOT/bench/queue.sh"
		: >"$OUT/queue.txt"
		for qn in $QUEUE_N; do
			queue_series "$qn"
		done
		;;
	*)
		echo "curves: unknown series $s (want sessions sizes rcpts mx queue)" >&2
		exit 1
		;;
	esac
done

# ------------------------------------------------------------------ report
{
	echo "sealgate $REV; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ); STARTTLS=$STARTTLS PER_DEST=$PER_DEST; whole run $(secs "$T_START" "$(now)")s"
	echo
	echo "Load average (1, 5, 15 min) before each series:"
	while read -r name l1 l5 l15; do echo "- $name: $l1 $l5 $l15"; done <"$OUT/series-load.txt"
	awk -F, 'NR > 1 && $1 != last {
		last = $1
		printf "\n### %s\n\n| server | variant | x | n | accepted msg/s | e2e msg/s | accepted MB/s | e2e MB/s | p50 ms | p99 ms | load1 |\n|---|---|---|---|---|---|---|---|---|---|---|\n", $1
	}
	NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' "$CSV"
	if [[ -f $OUT/queue.txt ]]; then
		echo
		echo "### queue"
		echo
		cat "$OUT/queue.txt"
	fi
} >"$OUT/curves.md"
echo
cat "$OUT/curves.md"
if [[ $PLOT == 1 ]]; then
	(cd "$ROOT" && go run ./bench/plot -csv "$CSV" -out "$ROOT/docs")
fi
