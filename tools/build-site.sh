#!/usr/bin/env bash
# Builds the browser half of the site into target/site without cargo-leptos:
# the app crate to wasm (feature `hydrate`), wasm-bindgen's JS glue, the CSS and public files.
# Usage: tools/build-site.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-debug}
site=${IPS_SITE_ROOT:-target/site}
target_dir=${CARGO_TARGET_DIR:-target}
case "$mode" in
  debug) profile=dev; out=debug ;;
  release) profile=wasm-release; out=wasm-release ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac

cargo build -p ips-app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile "$profile"
mkdir -p "$site/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name ips \
  "$target_dir/wasm32-unknown-unknown/$out/ips_app.wasm"
cp style/main.css "$site/pkg/ips.css"
cp -r public/. "$site/"
echo "site: built ($mode) in $site: $(du -sh "$site/pkg/ips_bg.wasm" | cut -f1) of wasm"
