#!/usr/bin/env bash
# Pilot rejoin check: a 2-site pilot on loopback where site 1's process is killed 6 s into
# round 1 and started again 3 s later. Expected: the server keeps serving, round 1 closes at
# its deadline without site 1, site 1 rejoins (continuing after its last frame seq) and takes
# part in rounds 2 and 3. Usage: scripts/pilot-rejoin.sh OUT_DIR (after npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
D=${1:?usage: scripts/pilot-rejoin.sh OUT_DIR}
rm -rf "$D"
mkdir -p "$D"
SETS=(--set protocol.clients=2 --set protocol.rounds=3 --set data.size=32 --set data.samplesPerClient=64 --set data.testSamples=8
  --set protocol.roundDeadlineS=40 --set protocol.stepTimeoutS=5 --set codec.name=quant --set compute.workers=1)
node dist/cli/main.js certs --out "$D/certs" --sites 2
node dist/cli/main.js serve scenarios/quickstart.yaml --listen 127.0.0.1:0 --certs "$D/certs" --out "$D/out" "${SETS[@]}" >"$D/serve.out" 2>"$D/serve.err" &
SERVER=$!
until grep -q listening "$D/serve.out"; do sleep 0.5; done
PORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$D/serve.out")
join() {
  exec node dist/cli/main.js join scenarios/quickstart.yaml --server "https://127.0.0.1:$PORT" --site "$1" \
    --cert "$D/certs/site-$1.pem" --key "$D/certs/site-$1.key" --ca "$D/certs/ca.pem" "${SETS[@]}"
}
join 0 >"$D/site-0.log" 2>&1 &
join 1 >"$D/site-1.log" 2>&1 &
SITE1=$!
until grep -q "round 1 starts" "$D/serve.err"; do sleep 0.5; done
sleep 6
kill -9 "$SITE1"
echo "killed site 1's process 6 s into round 1"
sleep 3
join 1 >"$D/site-1-again.log" 2>&1 &
wait "$SERVER"
wait
grep -E "round|joined|left" "$D/serve.err"
node -e "const s=require(process.argv[1]); for (const r of s.rounds) console.log('round', r.round, 'at', r.simulatedSeconds.toFixed(1), 's, sites', r.participants, 'left out', JSON.stringify(r.dropped))" "$(realpath "$D/out/summary.json")"
