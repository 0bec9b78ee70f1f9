# bench/queue.sh - the queue series of bench/curves.sh (sourced by it):
# QUEUE_N messages deferred because the smarthost is down, then
#   - sealgate's RSS with them queued,
#   - CPU time per retry round: utime+stime from /proc/PID/stat over
#     QUEUE_WINDOW seconds of rounds (retry_min = retry_max = QUEUE_RETRY),
#     minus the same process's idle rate measured before the fill,
#   - time to drain once the next hop listens (`sealgate queue flush`).
# Appends to $OUT/queue.txt (markdown); not in the CSV.

# ticks PID: user+system CPU time of PID in clock ticks.
ticks() { "$TMP/benchtool" cputicks "$1"; }
# kib FIELD PID: a VmRSS/VmHWM figure in KiB.
kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }

# queue_series COUNT: one fresh sealgate, COUNT messages deferred.
queue_series() {
	local QUEUE_N=$1
	local d=$TMP/queue-$1 hop sgp hz retry_s
	hz=$(getconf CLK_TCK)
	retry_s=${QUEUE_RETRY%s}
	if ! [[ $retry_s =~ ^[0-9]+$ ]]; then
		echo "curves: QUEUE_RETRY=$QUEUE_RETRY: want whole seconds, e.g. 20s" >&2
		exit 1
	fi
	hop=$(port) # the smarthost: nothing listens there until the drain
	sgp=$(port)
	SG_RELAY_EXTRA="  retry_min: $QUEUE_RETRY"$'\n'"  retry_max: $QUEUE_RETRY" sealgate_config "$d" "$sgp" "$hop"
	local prof=""
	[[ queue_$QUEUE_N == "${PROFILE_POINT:-}" ]] && prof=profile
	start_sealgate "$d" "$sgp" $prof
	sleep 3
	local rss0 t0 c0 t1 c1 idle queued
	queued=-
	rss0=$(kib VmRSS "$SG_PID")
	t0=$(now) c0=$(ticks "$SG_PID")
	sleep 10
	t1=$(now) c1=$(ticks "$SG_PID")
	idle=$(awk -v c="$((c1 - c0))" -v t="$(secs "$t0" "$t1")" 'BEGIN { printf "%.3f", c / t }') # ticks/s
	echo "curves: queue: idle CPU $idle ticks/s (CLK_TCK $hz), RSS $((rss0 / 1024)) MiB; filling $QUEUE_N messages of $QUEUE_SIZE bytes"

	local fill0 fill1
	fill0=$(now)
	if ! send "$QUEUE_N" "$QUEUE_SIZE" 20 100 "$sgp" "$TMP/source-queue.log"; then
		echo "curves: queue: fill failed: $(tail -c 400 "$TMP/source-queue.log")" >&2
		exit 1
	fi
	fill1=$(now)
	echo "curves: queue: filled in $(secs "$fill0" "$fill1")s: $(cat "$TMP/source-queue.log")"
	# First attempts ran during the fill, spread over it; from half a
	# round on, retries are in their steady state.
	sleep $((retry_s / 2 + 5))
	local rss1 hwm1 w0 wc0 w1 wc1 per_round rounds cpu_pct
	w0=$(now) wc0=$(ticks "$SG_PID")
	sleep "$QUEUE_WINDOW"
	w1=$(now) wc1=$(ticks "$SG_PID")
	rss1=$(kib VmRSS "$SG_PID")
	hwm1=$(kib VmHWM "$SG_PID")
	read -r per_round rounds cpu_pct < <(awk -v c="$((wc1 - wc0))" -v t="$(secs "$w0" "$w1")" \
		-v idle="$idle" -v r="$retry_s" -v hz="$hz" 'BEGIN {
			rounds = t / r; busy = c - idle * t; if (busy < 0) busy = 0
			printf "%.0f %.1f %.1f\n", busy / hz * 1000 / rounds, rounds, 100 * c / hz / t }')
	queued=$("$TMP/sealgate" queue list --json -c "$d/sealgate.yaml" 2>/dev/null | grep -o '"id"' | wc -l || true)
	echo "curves: queue: $queued queued; window $(secs "$w0" "$w1")s = $rounds rounds, $((wc1 - wc0)) ticks; RSS $((rss1 / 1024)) MiB"

	local dr0 dr1 drain
	start_sink "$hop" "$QUEUE_N" "$TMP/sink-queue.log"
	dr0=$(now)
	"$TMP/sealgate" queue flush -c "$d/sealgate.yaml" >"$TMP/flush.log" 2>&1 || echo "curves: queue flush: $(cat "$TMP/flush.log")" >&2
	if dr1=$(TIMEOUT=$QUEUE_TIMEOUT wait_sink); then
		drain=$(secs "$dr0" "$dr1")
	else
		drain="over ${QUEUE_TIMEOUT} (sink got $(tr '\r' '\n' <"$TMP/sink-queue.log" | tail -1))"
	fi
	local hwm2
	hwm2=$(kib VmHWM "$SG_PID")
	stop_pid "$SG_PID"
	stop_pid "$SINK_PID"
	{
		echo "#### $QUEUE_N messages"
		echo
		echo "- $QUEUE_N messages of $QUEUE_SIZE bytes, smarthost down, retry_min = retry_max = $QUEUE_RETRY; $queued listed by \`sealgate queue list\` before the drain"
		echo "- fill (20 sessions, reuse 100): $(secs "$fill0" "$fill1") s, $(rate "$QUEUE_N" "$(secs "$fill0" "$fill1")") msg/s accepted while every first attempt failed"
		echo "- RSS: $((rss0 / 1024)) MiB empty, $((rss1 / 1024)) MiB with the queue deferred (VmHWM $((hwm1 / 1024)) MiB; $((hwm2 / 1024)) MiB after the drain)"
		echo "- CPU: idle $(awk -v i="$idle" -v hz="$hz" 'BEGIN { printf "%.1f", 1000 * i / hz }') ms/s; with the queue deferred $cpu_pct% of a core over $(secs "$w0" "$w1") s ($rounds rounds): $per_round ms CPU per retry round, idle subtracted"
		echo "- drain after \`sealgate queue flush\` with the sink listening: $drain s ($(if [[ $drain == over* ]]; then echo "-"; else rate "$QUEUE_N" "$drain"; fi) msg/s)"
		echo
	} | tee -a "$OUT/queue.txt"
}
