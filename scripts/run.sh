#!/usr/bin/env bash
# The main job: fetch the weights if missing, build, and start the server on the default weights and the
# embedded corpus (data/sample-posts/). Extra arguments go to `blogbot-server serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-weights.sh
cargo build --release -p blogbot-server
exec "${CARGO_TARGET_DIR:-target}"/release/blogbot-server --weights weights --data-dir state serve "$@"
