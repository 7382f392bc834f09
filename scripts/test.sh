#!/usr/bin/env bash
# The whole test suite on the real weights: fetch what is missing, then build once (release profile: tensor code
# is far too slow unoptimised) and run every test. Used by the README and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-weights.sh
# The official `openai` Python client that server/tests/openai.rs drives the server with (.venv-test).
scripts/setup-test-tools.sh
# Two cores: tests that start a server or run a model each use both; running two at once only slows both.
cargo test --release --workspace -- --test-threads="${BLOGBOT_TEST_THREADS:-1}"
