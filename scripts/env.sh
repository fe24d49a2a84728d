# Sourced by the scripts: the project's tools first on PATH (wasm-opt from npm's binaryen, not Debian's old
# one), and Trunk told not to look for updates (its server is unreachable here).
export PATH="$PWD/tests/e2e/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
