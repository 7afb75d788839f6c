#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each for N seconds.
#
#   tests/fuzz/run.sh [SECONDS] [NAME...]
#
# SECONDS defaults to 60 per fuzzer; NAMEs default to every harness
# (at_parser, at_args, fs_path, http_url, reply_parser, fault, cert_import, sms_pdu, telnet,
# modem).  The build goes to build-fuzz/ (override with
# FUZZ_BUILD_DIR).  New corpus entries are written under the build
# directory, never into the seed corpus; crashes go to
# tests/fuzz/artifacts/<name>/.  Exits non-zero if a fuzzer found a crash.
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. "-jobs=4").
set -euo pipefail

secs="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(at_parser at_args fs_path http_url reply_parser fault cert_import sms_pdu telnet modem)

case "$secs" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS] [NAME...]" >&2; exit 2 ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Dbuildtype=debugoptimized >/dev/null
fi
targets=()
for n in "${names[@]}"; do targets+=("tests/fuzz/fuzz_$n"); done
# tests/fuzz/meson.build defines the fuzzers only for clang with libFuzzer.
ninja -C "$build" build.ninja >/dev/null   # regenerate after meson.build changes
known="$(ninja -C "$build" -t targets all)"
for t in "${targets[@]}"; do
  if ! grep -q "^$t:" <<<"$known"; then
    echo "run.sh: $build has no target $t: configure it with CC=clang (and libFuzzer)," \
      "or remove it / set FUZZ_BUILD_DIR" >&2
    exit 2
  fi
done
# Only the fuzzers: the rest of the project need not build for them to run.
if ! ninja -C "$build" "${targets[@]}" >/dev/null; then
  echo "run.sh: building the fuzzers failed (does clang have libFuzzer?)" >&2
  exit 1
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1"

failed=()
for n in "${names[@]}"; do
  exe="$build/tests/fuzz/fuzz_$n"
  work="$build/fuzz-corpus/$n"
  artifacts="$root/tests/fuzz/artifacts/$n"
  mkdir -p "$work" "$artifacts"
  echo "=== fuzz_$n: ${secs}s ==="
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  if "$exe" -max_total_time="$secs" -timeout=10 -max_len=4096 -print_final_stats=1 \
      -dict="$here/at.dict" -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} \
      "$work" "$here/corpus/$n" 2>"$build/fuzz-$n.log"; then
    grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$build/fuzz-$n.log" || true
    echo "fuzz_$n: no crash (corpus: $(ls "$work" | wc -l) entries)"
  else
    tail -n 40 "$build/fuzz-$n.log"
    echo "fuzz_$n: FAILED; reproducer in $artifacts/, log in $build/fuzz-$n.log"
    failed+=("$n")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzers with findings: ${failed[*]}"
  exit 1
fi
echo "all fuzzers ran ${secs}s without a finding"
