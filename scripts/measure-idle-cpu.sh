#!/usr/bin/env bash
# The service's idle CPU: starts `agent serve` (the build in src/Agent.Host/bin, the repository's appsettings.json and
# default model, a fresh database in a temporary folder, no runs), lets it settle, then reads its CPU time from /proc
# over a window, first with no client and then with one client on GET /events (what an open review page holds).
# Usage: bash scripts/measure-idle-cpu.sh [SECONDS]   (build first: dotnet build src/Agent.Host)
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-60}
agent=src/Agent.Host/bin/Debug/net10.0/agent
[ -x "$agent" ] || { echo "no $agent: run 'dotnet build src/Agent.Host' first" >&2; exit 2; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
token=idle-measure-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
AGENT_Http__Token=$token "$agent" serve --set "Storage:DatabasePath=$work/agent.db" --set "Http:Url=http://127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the service did not get ready:"; cat "$work/serve.log"; exit 1; }
sleep 10
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
measure() {
  local before after
  before=$(ticks); sleep "$window"; after=$(ticks)
  awk -v t=$((after - before)) -v hz="$hz" -v w="$window" -v what="$1" 'BEGIN { printf "%s: %.2f s of CPU in %d s = %.2f%% of one core\n", what, t / hz, w, 100 * t / hz / w }'
}
measure "idle, no client"
curl -sN -H "Authorization: Bearer $token" "http://127.0.0.1:$port/events" >/dev/null &
client=$!
sleep 2
measure "idle, one client on GET /events"
kill $client 2>/dev/null || true
