#!/usr/bin/env bash
# Installs the tools the test suite drives the server with into .venv-test: the official `openai` Python client
# (server/tests/openai.rs runs scripts/openai_client_check.py with it). Idempotent: returns at once when the
# pinned version is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
OPENAI_VERSION="3.57.0"
VENV=.venv-test
if [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" -c "import sys, openai; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null; then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "openai==$OPENAI_VERSION"
"$VENV/bin/python" -c "import openai; print('openai', openai.__version__, 'in $VENV')"
