#!/usr/bin/env bash
# Idempotent: makes sure a Docker engine answers on this machine, for developers and CI.
#  1. installs docker.io, busybox-static and debootstrap from Debian's archive only when missing
#     (busybox-static is the payload of the default sandbox image, sandboxes/default; debootstrap makes the root of
#     the debian one, sandboxes/debian/rootfs.sh, which also installs it when it runs without it);
#  2. starts dockerd in the background only when `docker info` fails, with the flags these
#     machines need (vfs storage, no iptables, no bridge: sandboxes run with --network none);
#  3. waits until the daemon answers, or fails after DOCKER_UP_TIMEOUT seconds (default 60).
# A daemon that already answers is left alone and never stopped.
# Environment: DOCKER_HOST (default unix:///var/run/docker.sock), DOCKER_UP_LOG (dockerd log file).
set -euo pipefail

timeout_s="${DOCKER_UP_TIMEOUT:-60}"
log_file="${DOCKER_UP_LOG:-/var/log/dockerd-agent.log}"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd="sudo"
fi

daemon_answers() {
  docker info >/dev/null 2>&1
}

if daemon_answers; then
  echo "docker-up: a Docker daemon already answers; nothing to do."
  exit 0
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "docker-up: installing ${missing[*]} from Debian's archive"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  # shellcheck disable=SC2046
  $sudo_cmd apt-get install -y -qq $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

if daemon_answers; then
  echo "docker-up: the daemon answers (started by the package install)."
  exit 0
fi

socket="/var/run/docker.sock"
if [ -n "${DOCKER_HOST:-}" ] && [[ "${DOCKER_HOST}" == unix://* ]]; then
  socket="${DOCKER_HOST#unix://}"
fi

echo "docker-up: starting dockerd (log: ${log_file})"
$sudo_cmd mkdir -p "$(dirname "${log_file}")"
# setsid + nohup: the daemon outlives this script and the CI step that ran it.
$sudo_cmd setsid nohup dockerd \
  --host "unix://${socket}" \
  --storage-driver=vfs \
  --iptables=false \
  --ip6tables=false \
  --bridge=none \
  >>"${log_file}" 2>&1 </dev/null &

deadline=$(( $(date +%s) + timeout_s ))
until daemon_answers; do
  if [ "$(date +%s)" -ge "${deadline}" ]; then
    echo "docker-up: dockerd did not answer within ${timeout_s}s; last lines of ${log_file}:" >&2
    tail -n 30 "${log_file}" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "docker-up: dockerd answers: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
