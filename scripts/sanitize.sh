#!/usr/bin/env bash
# The sanitizer build (issue 9): builds troupe with GCC's AddressSanitizer (LeakSanitizer included) and
# UndefinedBehaviorSanitizer in ./build-san (-DTROUPE_SANITIZE=ON, see CMakeLists.txt) and runs tests there.
# Exits non-zero if a test fails; a sanitizer report (an ASan error, a leak, any UB) fails its test.
#   scripts/sanitize.sh                  the unit, CAF and simulation tests (labels unit and sim): the quick check
#   scripts/sanitize.sh --all            everything but the fuzz test, the end-to-end tests too (their `troupe`
#                                        processes are sanitized as well); a longer build and run. CI runs
#                                        `scripts/bootstrap.sh --sanitize` (which builds with --all --build-only)
#                                        and then every test in ./build-san (README, DEVELOPERS.md)
#   scripts/sanitize.sh --build-only [--all]
#   scripts/sanitize.sh [--all] -- CTEST_ARGS...   e.g. -- -R unit.scheduler -V (replaces the label filter)
# Run scripts/bootstrap.sh once first on a fresh machine (it installs the packages; GCC's libasan8 and libubsan1
# come with build-essential). The sanitizer options the tests run with are set in CMakeLists.txt (CTest's
# ENVIRONMENT), with the leak suppressions of scripts/lsan.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$PWD/build-san

all=0
build_only=0
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all) all=1 ;;
    --build-only) build_only=1 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "sanitize.sh: unknown argument '$1' (see the comment at the top of scripts/sanitize.sh)" >&2; exit 2 ;;
  esac
  shift
done

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTROUPE_SANITIZE=ON > /dev/null
fi
if [ "$all" -eq 1 ]; then
  cmake --build "$build" -j "$(nproc)"
else
  # quick_tests: every test and simulation executable but the end-to-end tests (tests/CMakeLists.txt), so the
  # troupe executable and the e2e tests are not built.
  cmake --build "$build" -j "$(nproc)" --target quick_tests
fi
[ "$build_only" -eq 1 ] && exit 0

if [ ${#ctest_args[@]} -eq 0 ]; then
  if [ "$all" -eq 1 ]; then ctest_args=(-LE fuzz); else ctest_args=(-L 'unit|sim'); fi
fi
# Two tests at a time (the longest start first: COST in tests/CMakeLists.txt).
exec ctest --test-dir "$build" --output-on-failure -j 2 "${ctest_args[@]}"
