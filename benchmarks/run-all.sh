#!/bin/bash
# Runs the issue 8 end-to-end benchmarks against a fresh copy of the distribution and writes the
# raw output to benchmarks/results/ (the figures in docs/benchmarks.md come from there).
# Usage (from the repository root, after `mvn install`):  benchmarks/run-all.sh [stage...]
# Stages: cold paper concurrency inventory scale million plot (default: all, in that order).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=$ROOT/benchmarks/results
SCRATCH=${SCRATCH:-/tmp/vamt-bench}
CP=$ROOT/benchmarks/target/classes:$ROOT/bundles/vamt-security/target/classes
PASSWORD='Bench-Passw0rd#'
FLOOR_PORT=18992
mkdir -p "$RESULTS"
DIST=$SCRATCH/vamt-distribution-0.1.0-SNAPSHOT
bench() { java -cp "$CP" org.vamt.bench.Bench "$@"; }
now_ms() { date +%s%3N; }

fresh_dist() {
    rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
    tar xzf "$ROOT"/karaf-assembly/target/vamt-distribution-*.tar.gz -C "$SCRATCH"
}

# start [expectedEndpoints]: bin/start, then wait until every endpoint answers Identify
start() {
    local t0; t0=$(now_ms)
    (cd "$DIST" && VAMT_ADMIN_PASSWORD="$PASSWORD" bin/start)
    java -Dexpected="${1:-0}" -cp "$CP" org.vamt.bench.Bench await-all "$DIST/data/log/karaf.log" 16992 "$t0"
}

stop() {
    local pid; pid=$(cat "$DIST/karaf.pid")
    (cd "$DIST" && bin/stop) || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill "$pid"; sleep 2; kill -9 "$pid" 2>/dev/null || true
}

rss() { awk '/VmRSS/ {print $2 " " $3}' "/proc/$(cat "$DIST/karaf.pid")/status"; }

heap_after_gc() {
    local pid; pid=$(cat "$DIST/karaf.pid")
    jcmd "$pid" GC.run > /dev/null; sleep 1; jcmd "$pid" GC.run > /dev/null
    jcmd "$pid" GC.heap_info | grep -o 'used [0-9]*K' | head -1
}

cold() {
    fresh_dist
    {
        echo "## first start after unpacking"; start; stop
        for run in 1 2 3 4 5; do
            echo "## restart $run"; start
            if [ $run = 5 ]; then sleep 30; echo "RSS at idle (30 s after the first answer): $(rss)"; fi
            stop
        done
    } 2>&1 | tee "$RESULTS/cold.txt"
}

# The floor of the previous stage must be gone before the next one binds the same port: the
# concurrency stage once measured a floor that had failed to start (every request an error).
start_floor() { # start_floor <threads>
    java -cp "$CP" org.vamt.bench.SoapFloor $FLOOR_PORT admin "$PASSWORD" "$1" > "$SCRATCH/floor.log" 2>&1 &
    FLOOR_PID=$!
    for _ in $(seq 1 100); do
        (exec 3<>/dev/tcp/127.0.0.1/$FLOOR_PORT) 2>/dev/null && return 0
        kill -0 $FLOOR_PID 2>/dev/null || break
        sleep 0.1
    done
    echo "the SOAP floor did not start: $(cat "$SCRATCH/floor.log")" >&2
    return 1
}

stop_floor() {
    kill $FLOOR_PID 2>/dev/null || true
    wait $FLOOR_PID 2>/dev/null || true
}

paper() {
    start_floor 16
    start > /dev/null; sleep 2
    bench paper 127.0.0.3 16992 $FLOOR_PORT admin "$PASSWORD" 50000 2>&1 | tee "$RESULTS/paper.txt"
    stop; stop_floor
}

concurrency() {
    start_floor 64
    start > /dev/null; sleep 2
    {
        bench concurrency 127.0.0.3 16992 admin "$PASSWORD" 100000 1,4,16,64 vamt
        bench concurrency 127.0.0.1 $FLOOR_PORT admin "$PASSWORD" 100000 1,4,16,64 floor
    } 2>&1 | tee "$RESULTS/concurrency.txt"
    stop; stop_floor
}

inventory() {
    start > /dev/null; sleep 2
    {
        bench inventory 127.0.0.3 16992 admin "$PASSWORD" 1000
        bench power 127.0.0.4 16992 admin "$PASSWORD" 500
    } 2>&1 | tee "$RESULTS/inventory.txt"
    stop
}

# A fresh endpoint map (every VM a new address from 127.0.0.2): the identities live in Config
# Admin (kept in etc/org.vamt.endpoint-*.cfg and under data/) and go, with the log that announced
# them (vAMT stopped).
forget_endpoints() {
    rm -f "$DIST"/etc/org.vamt.endpoint-*.cfg
    find "$DIST/data/cache" -path '*/data/config/org/vamt/endpoint*' -delete 2>/dev/null || true
    rm -f "$DIST"/data/log/karaf.log*
}

scale() {
    : > "$RESULTS/scale.txt"
    for n in 4 10 100 1000; do
        forget_endpoints
        if [ $n = 4 ]; then
            sed -i 's|^uri = .*|uri = test://${karaf.etc}/vamt-demo-vms.xml|' "$DIST/etc/org.vamt.libvirt.cfg"
        else
            java -cp "$CP" org.vamt.bench.TestDriverXml $n "$DIST/etc/scale-$n.xml"
            sed -i "s|^uri = .*|uri = test://\${karaf.etc}/scale-$n.xml|" "$DIST/etc/org.vamt.libvirt.cfg"
        fi
        {
            echo "## $n VMs"
            start $n
            bench first-last "$DIST/data/log/karaf.log" 16992 admin "$PASSWORD" 20000
            echo "heap after GC: $(heap_after_gc); RSS $(rss)"
            stop
        } 2>&1 | tee -a "$RESULTS/scale.txt"
    done
    sed -i 's|^uri = .*|uri = test://${karaf.etc}/vamt-demo-vms.xml|' "$DIST/etc/org.vamt.libvirt.cfg"
    forget_endpoints
}

# One million Gets (4 clients) on the last of 1,000 VMs; heap and RSS after GC before and after.
million() {
    java -cp "$CP" org.vamt.bench.TestDriverXml 1000 "$DIST/etc/scale-1000.xml"
    sed -i 's|^uri = .*|uri = test://${karaf.etc}/scale-1000.xml|' "$DIST/etc/org.vamt.libvirt.cfg"
    forget_endpoints
    {
        start 1000
        echo "heap after GC before: $(heap_after_gc)"
        java -cp "$CP" org.vamt.bench.Soak 127.0.3.239 16992 admin "$PASSWORD" 1000000 4 "$(cat "$DIST/karaf.pid")"
        echo "after GC: heap $(heap_after_gc), RSS $(rss)"
        stop
    } 2>&1 | tee "$RESULTS/million-1000vms.txt"
    sed -i 's|^uri = .*|uri = test://${karaf.etc}/vamt-demo-vms.xml|' "$DIST/etc/org.vamt.libvirt.cfg"
    forget_endpoints
}

plot() {
    awk '/^(vamt|floor) [0-9]+ / {print > "'"$RESULTS"'/concurrency-" $1 ".dat"}' "$RESULTS/concurrency.txt"
    awk '/^## [0-9]+ VMs/ {n=$2} /^Get on/ {k++; match($0, /p50 [0-9.]+/); p50=substr($0, RSTART+4, RLENGTH-4);
         match($0, /p99 [0-9.]+/); p99=substr($0, RSTART+4, RLENGTH-4); print n, (k%2 ? "first" : "last"), p50, p99}' \
        "$RESULTS/scale.txt" > "$RESULTS/scale.dat"
    gnuplot "$ROOT/benchmarks/latency.gp"
}

# Never leave a Karaf behind, even when a stage fails.
trap '[ -f "$DIST/karaf.pid" ] && kill -0 "$(cat "$DIST/karaf.pid")" 2>/dev/null && stop' EXIT
[ $# -eq 0 ] && set -- cold paper concurrency inventory scale million plot
[ -d "$DIST" ] || fresh_dist
for stage in "$@"; do "$stage"; done
