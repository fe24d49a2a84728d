#!/usr/bin/env bash
# Installs what is missing, builds the page and serves it on http://127.0.0.1:8080 with a demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
source scripts/env.sh
echo
echo "Perturb Check: open http://127.0.0.1:8080/?demo=simulated   (other demos: ?demo=papalexi, ?demo=norman)"
echo
exec trunk serve --release
