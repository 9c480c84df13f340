#!/usr/bin/env bash
# Builds the container image of `agent serve` (deploy/Dockerfile) on a machine with no image registry, and with
# --check proves it: a container of it answers GET /healthz and GET /readyz, and one without a token refuses to start.
#
#   bash deploy/build-container.sh [--check] [--tag agent-service:latest] [--published DIR]
#
# --published DIR uses an existing `dotnet publish -r linux-x64 --self-contained` output instead of publishing again.
#
# Steps, each timed on stderr:
#  1. `dotnet publish src/Agent.Host -c Release -r linux-x64 --self-contained` into a staging folder (the .NET runtime is
#     not in Debian's archive, so the image carries the publish's own);
#  2. the published `agent sandbox build`: builds the sandbox images the service will run (cached by context hash),
#     including the `debian` one, whose root (agent-sandbox/debian-rootfs, debootstrap; root needed the first time) is
#     also this image's base;
#  3. `docker build` of deploy/Dockerfile over that root, with no network.
# Needs: the .NET SDK, a Docker engine (bash scripts/docker-up.sh), root or sudo for the first root build.
set -euo pipefail
cd "$(dirname "$0")/.."

tag="agent-service:latest"
check=false
published=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=true ;;
    --tag) tag="$2"; shift ;;
    --published) published="$2"; shift ;;
    *) echo "build-container: unknown argument '$1' (use --check, --tag NAME:TAG, --published DIR)" >&2; exit 2 ;;
  esac
  shift
done

command -v dotnet >/dev/null || { echo "build-container: the .NET SDK (dotnet) is missing" >&2; exit 2; }
docker info >/dev/null 2>&1 || { echo "build-container: no Docker engine answers; run \`bash scripts/docker-up.sh\`" >&2; exit 2; }
step() { echo "build-container: $1" >&2; }
timed() { local start=$SECONDS; "$@"; step "  took $((SECONDS - start)) s"; }

stage=$(mktemp -d)
container=""
cleanup() {
  if [ -n "$container" ]; then docker rm -f "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$stage"
}
trap cleanup EXIT

if [ -n "$published" ]; then
  [ -x "$published/agent" ] && [ -f "$published/appsettings.json" ] || { echo "build-container: --published $published holds no published agent (agent, appsettings.json)" >&2; exit 2; }
  step "1/3 using the published output in $published"
  cp -a "$published" "$stage/agent"
else
  step "1/3 dotnet publish (self-contained, linux-x64) into $stage/agent"
  timed dotnet publish src/Agent.Host -c Release -r linux-x64 --self-contained -o "$stage/agent" -v quiet -nologo >&2
fi
step "  published: $(du -sm "$stage/agent" | cut -f1) MiB"

step "2/3 sandbox images (the debian root is this image's base; debootstrap runs only when its recipe changed)"
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
timed $sudo_cmd "$stage/agent/agent" sandbox build >&2

step "3/3 docker build of deploy/Dockerfile as $tag"
mkdir -p "$stage/context" "$stage/state/var/lib/agent"
cp deploy/Dockerfile "$stage/context/Dockerfile"
# One tar, so that one ADD gives /opt/agent to root and /var/lib/agent to the service user.
tar --numeric-owner --owner=0 --group=0 --transform 's,^agent,opt/agent,' -C "$stage" -cf "$stage/context/service.tar" agent
tar --numeric-owner --owner=10001 --group=10001 -C "$stage/state" -rf "$stage/context/service.tar" var/lib/agent
timed docker build --network none --build-arg ROOTFS=agent-sandbox/debian-rootfs:latest -t "$tag" "$stage/context" >&2
step "  image: $(docker image inspect "$tag" --format '{{.Size}}' | awk '{ printf "%d MiB", $1 / 1048576 }')"

if ! $check; then
  echo "$tag"
  exit 0
fi

# The check. This machine's engine has no bridge network, so the container shares the host's network and listens on
# a loopback port; on an engine with a bridge, run it as in the README (-p 127.0.0.1:5380:5380).
socket_gid=$(stat -c %g /var/run/docker.sock)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 5391)

step "check: a container without a token must refuse to start (exit 2)"
set +e
refusal=$(docker run --rm --network host -e AGENT_Http__Url="http://127.0.0.1:$port" "$tag" 2>&1)
status=$?
set -e
if [ "$status" -ne 2 ]; then
  echo "build-container: check failed: without a token the service exited $status, not 2: $refusal" >&2
  exit 1
fi
step "  refused: $(echo "$refusal" | grep -i token | head -n 1)"

step "check: start it with a token and the engine's socket, and wait for /healthz"
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
start=$SECONDS
container=$(docker run -d --network host --hostname agent-service \
  --group-add "$socket_gid" -v /var/run/docker.sock:/var/run/docker.sock \
  --read-only --tmpfs /tmp:rw,nosuid,nodev,size=64m --cap-drop ALL --security-opt no-new-privileges:true \
  -v agent-service-check-state:/var/lib/agent \
  -e AGENT_Http__Url="http://127.0.0.1:$port" -e AGENT_Http__Token="$token" "$tag")
healthy=false
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then healthy=true; break; fi
  if [ "$(docker inspect -f '{{.State.Running}}' "$container")" != true ]; then break; fi
  sleep 0.5
done
if ! $healthy; then
  echo "build-container: check failed: /healthz did not answer; the container's log:" >&2
  docker logs "$container" 2>&1 | tail -n 30 >&2
  exit 1
fi
step "  /healthz answered $((SECONDS - start)) s after docker run: $(curl -fsS "http://127.0.0.1:$port/healthz")"
ready=""
for _ in $(seq 1 60); do
  ready=$(curl -sS "http://127.0.0.1:$port/readyz" || true)
  case "$ready" in *'"status":"ready"'*) break ;; esac
  sleep 0.5
done
step "  /readyz: $ready"
case "$ready" in *'"status":"ready"'*) ;; *) echo "build-container: check failed: /readyz is not ready" >&2; docker logs "$container" 2>&1 | tail -n 30 >&2; exit 1 ;; esac
unauthorised=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/runs")
[ "$unauthorised" = 401 ] || { echo "build-container: check failed: GET /runs without the token answered $unauthorised, not 401" >&2; exit 1; }
step "  GET /runs without the token: 401"
docker rm -f "$container" >/dev/null
container=""
docker volume rm agent-service-check-state >/dev/null
step "check passed"
echo "$tag"
