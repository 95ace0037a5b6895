#!/usr/bin/env bash
# run_limits_tests.sh REGREV WORKDIR [SQUARES] [VERTICES]: regrev at the limits (issue 7): a code
# of 10,000 characters is refused with one clear error; a polygon of VERTICES vertices (default
# 200,000) and SQUARES tiny areas per version (default 20,000) run in bounded memory (peak RSS
# under 2 GB); tables of a few hundred kilobytes that name hundreds of millions of values are
# refused at once instead of allocated. Prints time and peak memory of each run (docs/robustness.md has the figures for a
# million vertices and 100,000 areas, run by hand with the same script and larger arguments).
set -u
regrev=$1 work=$2 squares=${3:-20000} vertices=${4:-200000}
here=$(cd "$(dirname "$0")" && pwd)
case $regrev in /*) ;; *) regrev=$PWD/$regrev ;; esac
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
passed=0 failed=0
limit_kb=$((2 * 1024 * 1024))

pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1${2:+ ($2)}"; }

# measure CMD...: run it with stdout/stderr to out.txt/err.txt; sets rc, secs, rss_kb (peak RSS of
# the command, from getrusage: no dependency on /usr/bin/time)
measure() {
  read -r rc secs rss_kb < <(python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.time()
with open("out.txt", "w") as out, open("err.txt", "w") as err:
    rc = subprocess.call(sys.argv[1:], stdout=out, stderr=err)
print(rc, "%.1f" % (time.time() - t), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
}

# ---- a code field of 10,000 characters: refused, one line, no output ------------------------------
python3 "$here/make_limits.py" longcode long
measure "$regrev" run --old long/old.geojson --new long/new.geojson --no-pop --out long/out
if [ "$rc" = 1 ] && [ "$(grep -c '^regrev: error: ' err.txt)" = 1 ] &&
   grep -q "code of 10000 characters in field deso: not a code (long/old.geojson, layer old, feature 1)" err.txt &&
   [ ! -e long/out/key.csv ]; then
  pass "code of 10,000 characters refused: $(head -c 160 err.txt)"
else
  fail "code of 10,000 characters" "exit $rc: $(head -c 300 err.txt)"
fi

# ---- one polygon of many vertices: works, memory bounded ------------------------------------------
python3 "$here/make_limits.py" vertices big "$vertices"
measure "$regrev" run --old big/old.geojson --new big/new.geojson --no-pop --threads 2 --out big/out
echo "     $vertices vertices: exit $rc, ${secs} s, peak RSS $((rss_kb / 1024)) MB"
if [ "$rc" = 0 ] && [ "$rss_kb" -lt "$limit_kb" ] && [ "$(wc -l < big/out/key.csv)" = 3 ] &&
   awk -F, 'NR > 1 && $1 == "0001A0010" { n++; s += $5 } END { exit !(n == 2 && s > 0.999999 && s < 1.000001) }' big/out/key.csv; then
  pass "a polygon of $vertices vertices split in two halves (${secs} s, $((rss_kb / 1024)) MB)"
else
  fail "a polygon of $vertices vertices" "exit $rc, RSS ${rss_kb} kB: $(head -c 300 err.txt)"
fi

# ---- many tiny areas: run, memory bounded ------------------------------------------------------------
python3 "$here/make_limits.py" squares many "$squares"
measure "$regrev" run --old many/old.geojson --new many/new.geojson --no-pop --threads 2 --out many/out
echo "     $squares squares: exit $rc, ${secs} s, peak RSS $((rss_kb / 1024)) MB"
if [ "$rc" = 0 ] && [ "$rss_kb" -lt "$limit_kb" ] && [ "$(wc -l < many/out/key.csv)" = $((squares + 1)) ]; then
  pass "$squares tiny areas a version (${secs} s, $((rss_kb / 1024)) MB)"
else
  fail "$squares tiny areas" "exit $rc, RSS ${rss_kb} kB: $(head -c 300 err.txt)"
fi

# ---- tables that would need more memory than their size suggests: refused at once --------------
python3 "$here/make_limits.py" tables tables
measure "$regrev" translate --key tables/key.csv --in tables/cells.json --out tables/out.json
if [ "$rc" = 1 ] && [ "$(grep -c '^regrev: error: ' err.txt)" = 1 ] &&
   grep -q "the sizes multiply to more than 268435456 values" err.txt && [ ! -e tables/out.json ] &&
   [ "$rss_kb" -lt $((512 * 1024)) ]; then
  pass "a JSON-stat of $(wc -c < tables/cells.json) bytes naming 729 million values refused (${secs} s)"
else
  fail "a JSON-stat naming 729 million values" "exit $rc, RSS ${rss_kb} kB: $(head -c 300 err.txt)"
fi
measure "$regrev" translate --key tables/key.csv --in tables/cells.csv --out tables/out.csv --allow-unknown
if [ "$rc" = 1 ] && [ "$(grep -c '^regrev: error: ' err.txt)" = 1 ] &&
   grep -q "table too large: 20000 codes x 20001 series" err.txt && [ ! -e tables/out.csv ] &&
   [ "$rss_kb" -lt $((512 * 1024)) ]; then
  pass "a CSV of $(wc -c < tables/cells.csv) bytes naming 400 million values refused (${secs} s)"
else
  fail "a CSV naming 400 million values" "exit $rc, RSS ${rss_kb} kB: $(head -c 300 err.txt)"
fi

echo "limits tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
