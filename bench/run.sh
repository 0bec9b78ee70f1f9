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
#   STRACE_DIR=/tmp/st  run each sealgate under strace -c (file syscalls: fsync,
#                     openat, rename, mkdir, unlink) into STRACE_DIR/NAME.strace
#   PROFILE=1         run the sealgate throughput phase under bench/sgprof
#                     and write a CPU and heap profile to PROFILE_DIR
#                     (default /tmp): go tool pprof -top PROFILE_DIR/sealgate-cpu.pprof
#
# The system Postfix (/etc/postfix, port 25) is never touched: Postfix runs
# from its own config directory under the temp dir, on its own port.
#
# The setup and the per-run functions live in bench/lib.sh, shared with
# bench/curves.sh (make curves).
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

case $BENCH_CLIENT in
loadgen) ;;
smtp-source) REUSE=1 STARTTLS=0 ENCRYPT="" ;; # what smtp-source does; the report says so
*)
	echo "bench: BENCH_CLIENT=$BENCH_CLIENT: want loadgen or smtp-source" >&2
	exit 1
	;;
esac
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_checks
bench_setup

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
