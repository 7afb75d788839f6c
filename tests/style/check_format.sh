#!/usr/bin/env bash
# Fails when a C file under emulator/ or tests/ differs from what
# clang-format makes of it with the repository's .clang-format.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Without clang-format (a machine that only runs the emulator) the check is
# skipped, not failed: meson reads exit status 77 as a skip.
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
mapfile -t files < <(find emulator tests -name '*.[ch]' -not -path '*/corpus/*' | sort)
clang-format --dry-run -Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
