#!/usr/bin/env bash
# run_browser_test.sh: ctest `browser`: regrev run on the default Dalarna pair, then review.html in
# headless Chromium (review_test.mjs). Exit 77 (ctest: skipped) with the reason when Chromium,
# Node.js or playwright-core is not to be had; in CI (CI=true) a missing playwright-core fails.
# Usage: run_browser_test.sh REGREV_BINARY WORK_DIR   (screenshots: WORK_DIR/*.png)
set -euo pipefail
regrev=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
chromium=${REGREV_CHROMIUM:-/usr/bin/chromium}
skip() {
  echo "browser test SKIPPED: $*"
  exit 77
}
[ -x "$chromium" ] || skip "no Chromium at $chromium (Debian package chromium; tools/deps installs it when REGREV_BROWSER=1 or CI=true)"
command -v node >/dev/null 2>&1 || skip "no node on PATH (Node.js is needed to drive Chromium)"
mkdir -p "$work"
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  command -v npm >/dev/null 2>&1 || skip "no npm to install playwright-core"
  echo "browser test: installing playwright-core into $here/node_modules"
  mkdir -p "$here/node_modules"
  if ! npm install --no-save --no-audit --no-fund --prefix "$here" playwright-core@1 >"$work/npm.log" 2>&1; then
    cat "$work/npm.log"
    [ "${CI:-}" = true ] && { echo "browser test: npm install playwright-core failed"; exit 1; }
    skip "npm could not install playwright-core (offline?)"
  fi
fi
rm -rf "$work/out"
"$regrev" run --quiet --out "$work/out"
echo "browser test: review.html is $(wc -c <"$work/out/review.html") bytes, review.gpkg $(wc -c <"$work/out/review.gpkg") bytes"
exec node "$here/review_test.mjs" --chromium "$chromium" --html "$work/out/review.html" \
  --areas "$work/out/areas.csv" --changes "$work/out/changes.csv" --shots "$work" \
  --search 2081C1100 --kommuner 2080,2081
