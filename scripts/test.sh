#!/usr/bin/env bash
# Runs every test on a fresh Debian/Ubuntu machine: installs what the tests need, then
# `cargo test --release --locked`. CI (.ci/run) calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Chromium and its WebDriver for the browser test (never downloaded by a
# test tool; Debian's packages only).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${need[*]} (apt-get)…" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

command -v cargo >/dev/null 2>&1 || {
  echo "cargo not found: install Rust from https://rustup.rs" >&2
  exit 1
}

cargo test --release --locked "$@"
