#!/usr/bin/env bash
# Fetches one npm package of prebuilt llama.cpp libraries and unpacks it into a cache folder.
# Called by build/LlamaNative.targets; safe to run by hand:
#   build/fetch-llama-native.sh @node-llama-cpp/linux-x64@3.22.1 node-llama-cpp-linux-x64-3.22.1.tgz .native/cpu-3.22.1
set -euo pipefail
spec="$1" tarball="$2" dest="$3"
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is needed once to fetch the llama.cpp libraries ($spec). Install Node.js/npm (apt-get install npm), or set Llama:NativeLibraryPath to your own llama.cpp build." >&2
  exit 1
fi
tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "Fetching $spec (once) into $dest"
(cd "$tmp" && npm pack --silent "$spec" >/dev/null)
tar -xzf "$tmp/$tarball" -C "$tmp"
rm -f "$tmp/$tarball"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
