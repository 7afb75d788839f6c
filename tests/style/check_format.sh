#!/usr/bin/env bash
# Fails when a C file under emulator/ or tests/ differs from what
# clang-format makes of it with the repository's .clang-format.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(find emulator tests -name '*.[ch]' -not -path '*/corpus/*' | sort)
clang-format --dry-run -Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
