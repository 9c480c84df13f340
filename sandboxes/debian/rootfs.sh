#!/usr/bin/env bash
# Root filesystem of the `debian` sandbox image: Debian 12 (bookworm) minbase from Debian's archive by debootstrap,
# with coreutils, git, python3, curl, jq, sqlite3 (and busybox, ca-certificates), written as one uncompressed tar.
#
#   bash rootfs.sh OUT.tar
#
# Agent.Sandbox runs this on the host the first time the image is needed (or by `agent sandbox build`), imports the
# tar as <prefix>/debian-rootfs:latest labelled with the hash of this file, and builds ./Dockerfile over it. This file
# is the recipe: any edit to it changes the hash and rebuilds the root; nothing else does (the archive serves the
# same bookworm point release to every run of the same recipe, so a cached root stays what this file describes).
# Needs root (debootstrap unpacks and configures packages in a chroot) and the `debootstrap` package (installed from
# Debian's archive when missing). Environment: AGENT_DEBIAN_MIRROR (default http://deb.debian.org/debian; the
# Release file's signature is checked against the host's debian-archive-keyring either way).
set -euo pipefail

suite=bookworm
mirror="${AGENT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# libgomp1: llama.cpp's CPU backend needs it when deploy/Dockerfile runs the service itself over this root.
packages=coreutils,findutils,git,python3,curl,jq,sqlite3,busybox-static,ca-certificates,less,xz-utils,bzip2,unzip,file,procps,libgomp1

out="${1:?usage: rootfs.sh OUT.tar}"
if [ "$(id -u)" -ne 0 ]; then
  echo "rootfs.sh: building the debian sandbox root needs root (debootstrap configures packages in a chroot); run \`sudo agent sandbox build\` once, then every user's sandboxes use the cached image" >&2
  exit 3
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "I: installing debootstrap from Debian's archive"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
fi

work=$(mktemp -d "$(dirname "$(readlink -f "$out")")/rootfs.XXXXXX")
root="$work/root"
cleanup() {
  # debootstrap mounts /proc and /sys (and /dev inside a container) in the target and unmounts them when it ends,
  # but not when it is killed: unmount whatever is left below the root before deleting, and never cross a mount.
  if [ -d "$root" ]; then
    awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
      umount -l "$m" || true
    done
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
# Agent.Sandbox stops a cancelled or timed-out build with SIGTERM to this script and every process below it.
trap 'exit 143' TERM INT

debootstrap --variant=minbase --components=main --include="$packages" "$suite" "$root" "$mirror"

echo "I: trimming the root (package caches, apt lists, documentation but copyright files, man pages, locales, logs)"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
  "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/var/log/* \
  "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/debootstrap
find "$root"/usr/share/doc -type f ! -name copyright -delete
find "$root"/usr/share/doc -type l -delete
find "$root"/usr/share/doc -mindepth 1 -type d -empty -delete
find "$root" -name __pycache__ -type d -prune -exec rm -rf {} +
: >"$root"/etc/machine-id

echo "I: adding the sandbox user (uid/gid 1000, home /workspace)"
echo "sandbox:x:1000:1000:sandbox:/workspace:/bin/bash" >>"$root"/etc/passwd
echo "sandbox:x:1000:" >>"$root"/etc/group
echo "sandbox:*:19000:0:99999:7:::" >>"$root"/etc/shadow
chmod 0755 "$root"
install -d -m 0755 "$root"/workspace
chmod 1777 "$root"/tmp

echo "I: writing $out"
# Devices, /proc and /sys are the engine's at run time; names sorted and owners numeric so the tar is stable.
tar --numeric-owner --sort=name --xattrs --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
  -C "$root" -cf "$out" .
echo "I: root filesystem written: $(du -m "$out" | cut -f1) MiB"
