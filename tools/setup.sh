#!/usr/bin/env bash
# Installs what IPS needs to build, run and test, skipping whatever is already there.
# Reached only through package registries (Debian/Ubuntu apt, crates.io, npm): nothing is
# downloaded from anywhere else. Safe to run again: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
# postgresql: the tests of the PostgreSQL work queue start a throwaway server of their own (the
# Debian package's cluster is not used, and nothing is started at boot for IPS's sake).
APT_PACKAGES=(pkg-config clang libclang-dev libopencv-dev opencv-data libavcodec-dev libavformat-dev libswscale-dev ffmpeg chromium nodejs npm python3 curl postgresql python3-venv time)

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "setup: need root (or sudo) to run: $*" >&2; exit 1; fi
}

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
  # Ubuntu ships chromium as a snap stub; any chromium on PATH will do.
  if [ "$p" = chromium ] && command -v chromium >/dev/null; then continue; fi
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  # Any major version's server programs will do (Debian 12 ships 15).
  if [ "$p" = postgresql ] && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then continue; fi
  dpkg -s "$p" >/dev/null 2>&1 || missing_apt+=("$p")
done
if [ ${#missing_apt[@]} -gt 0 ]; then
  step "apt: installing ${missing_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_apt[@]}" >/dev/null
else
  step "apt: packages present"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: Rust is missing. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "rust: wasm32 target present"
else
  step "rust: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  step "wasm-bindgen $WASM_BINDGEN_VERSION present"
else
  step "wasm-bindgen: building $WASM_BINDGEN_VERSION from crates.io (about 2 minutes)"
  # --locked fails on this toolchain; the fallback resolver picks versions that build on it.
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet
fi

if [ -d end2end/node_modules/@playwright/test ] && [ -d end2end/node_modules/exceljs ]; then
  step "npm: end2end packages present"
else
  step "npm: installing end2end packages (Playwright without its browser download)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi

# moto: a local S3 for the media-store tests, from PyPI into a virtualenv of its own.
MOTO_VENV="${HOME}/.cache/ips/moto"
if command -v moto_server >/dev/null || [ -x "$MOTO_VENV/bin/moto_server" ]; then
  step "moto (local S3 for tests) present"
else
  step "moto: installing the local S3 for tests into $MOTO_VENV (PyPI)"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --quiet 'moto[server]'
fi

step "models: checking"
python3 tools/fetch-models.py
