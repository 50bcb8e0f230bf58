# Shared by every script: where the repository and the build cache are, and which wasm toolchain to use.
# Sourced, never run.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# One cargo target folder outside the clone, reused by `scripts/start`, `scripts/test` and `.ci/run`, so a fresh
# clone on a machine that built before starts warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/enreach/target}"

# The one profile and feature set every build uses (node, tests, benchmarks), so nothing is compiled twice.
cargo_flags=(--profile dev --features runtime-benchmarks)
node_bin="$CARGO_TARGET_DIR/debug/enreach-node"

# The Hugging Face client the AiDN tests run against the gateway (`scripts/setup` installs it, pinned).
HF_HUB_VERSION=0.36.0
export ENREACH_HF_PYTHON="${ENREACH_HF_PYTHON:-$(dirname "$CARGO_TARGET_DIR")/hf-venv/bin/python}"

# Pick the wasm toolchain that `scripts/setup` installed: rustup's own target if present, otherwise the Debian
# toolchain linked as `debian` with its hand-built wasm32v1-none sysroot.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32v1-none \
    && rustup toolchain list 2>/dev/null | grep -q '^debian' \
    && ls /usr/lib/rustlib/wasm32v1-none/lib/libcore-*.rlib >/dev/null 2>&1; then
    export WASM_BUILD_TOOLCHAIN="${WASM_BUILD_TOOLCHAIN:-debian}"
    export WASM_BUILD_STD="${WASM_BUILD_STD:-0}"
fi
