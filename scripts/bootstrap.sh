#!/usr/bin/env bash
# Installs what troupe needs on Debian 12 (apt-get) and builds it in ./build (and the fuzz target in ./build-fuzz).
# Idempotent: a second run only rebuilds what changed.
#   scripts/bootstrap.sh              the Release build in ./build (what `troupe demo` and users run)
#   scripts/bootstrap.sh --sanitize   instead of ./build, the sanitizer build in ./build-san (ASan, LeakSanitizer,
#                                     UBSan; scripts/sanitize.sh): what the README's test command and CI test
#                                     (DEVELOPERS.md, "Sanitizer build" says why not both)
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=0
case "${1:-}" in
  "") ;;
  --sanitize) sanitize=1 ;;
  *) echo "bootstrap.sh: unknown argument '$1' (use --sanitize or nothing)" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev libssl-dev
  librocksdb-dev
  libprotobuf-dev protobuf-compiler
  libboost-dev libboost-test-dev
  libcli11-dev libspdlog-dev libfmt-dev
  libhowardhinnant-date-dev tzdata
  curl                          # tests/e2e/http_test.cpp drives the HTTP API with it
  libcurl4-openssl-dev          # the alert webhook (actors/webhook.cpp) POSTs with libcurl
  libjs-chart.js                # Chart.js 3.9, embedded in the binary for the web dashboard (web/, CMakeLists.txt)
  chromium chromium-driver      # tests/e2e/dashboard_test.cpp: the dashboard in headless Chromium over WebDriver
  clang libclang-rt-14-dev      # the fuzz test (fuzz/, scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$sanitize" -eq 1 ]; then
  scripts/sanitize.sh --all --build-only
else
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build build -j "$(nproc)"
fi
# The fuzz target (clang, sanitizers) in ./build-fuzz, so that the fuzz.submit_request test only runs it.
scripts/fuzz.sh --build-only
