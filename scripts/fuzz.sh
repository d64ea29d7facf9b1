#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan, LeakSanitizer, UBSan) in ./build-fuzz and fuzzes the
# request -> job spec path for SECONDS (default 60). Exits non-zero on a crash, a sanitizer report, a leak or a
# timeout; the input that caused it is written to build-fuzz/crashes/.
#   scripts/fuzz.sh [SECONDS [FLAGS...]]   build (incrementally) and run; FLAGS go to libFuzzer (e.g. -jobs=2)
#   scripts/fuzz.sh --build-only   build only (scripts/bootstrap.sh does this, so that the CTest test only runs)
# The run starts from a copy of fuzz/corpus/submit in build-fuzz/corpus/submit (inputs found by earlier runs are
# kept there); nothing is written into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build-fuzz

if ! command -v clang++ > /dev/null; then
  echo "fuzz.sh: clang++ not found (scripts/bootstrap.sh installs clang and libclang-rt-14-dev)" >&2
  exit 2
fi
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTROUPE_FUZZ=ON -DBUILD_TESTING=OFF \
    > /dev/null
fi
cmake --build "$build" -j 2 --target submit_request_fuzzer
[ "${1:-}" = "--build-only" ] && exit 0

seconds=${1:-60}
[ $# -gt 0 ] && shift
corpus=$build/corpus/submit
mkdir -p "$corpus" "$build/crashes"
cp "$root"/fuzz/corpus/submit/* "$corpus"/
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
echo "fuzz.sh: submit_request_fuzzer for ${seconds}s; crashes go to $build/crashes/"
exec "$build/fuzz/submit_request_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -dict="$root/fuzz/submit.dict" -artifact_prefix="$build/crashes/" -use_value_profile=1 -print_final_stats=1 "$@" "$corpus"
