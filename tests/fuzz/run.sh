#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, one after the other; an input that
# takes over 10 s counts as a finding (a hang). New inputs go to a
# scratch corpus, never into the committed seeds; crashes land in tests/fuzz/artifacts/<target>/
# and each one found becomes a file in tests/fuzz/regressions/<target>/ (run by cargo test).
# Needs cargo-fuzz (cargo install cargo-fuzz); RUSTC_BOOTSTRAP lets the stable toolchain take
# the sanitizer flags.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-600}
export RUSTC_BOOTSTRAP=1
scratch=${FUZZ_SCRATCH:-/tmp/pstriage-fuzz-corpus}
for t in kql records ecs_mapping analyzers rule_toml decode exceptions esql; do
  mkdir -p "$scratch/$t"
  echo "== $t for ${secs}s"
  # A crash ends this target's run (and is reported); the other targets still run.
  cargo fuzz run --fuzz-dir tests/fuzz "$t" "$scratch/$t" "tests/fuzz/corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 2>&1 | tail -25 || true
done
