#!/usr/bin/env bash
# run_cli_tests.sh REGREV GEODATA WORKDIR [RENAME_SHIM]: the command line's promises (CONTRACT.md):
# exit codes, one-line errors naming the input, atomic outputs, untouched inputs, interrupted
# runs (RENAME_SHIM: tests/cli/rename_pause.c built, for an interrupt while outputs are renamed).
set -u
regrev=$1 geo=$2 work=$3 shim=${4:-}
. "$(cd "$(dirname "$0")" && pwd)/../support/cli.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

square() { # code x0 y0 x1 y1
  printf '{"type":"Feature","properties":{"deso":"%s"},"geometry":{"type":"Polygon","coordinates":[[[%s,%s],[%s,%s],[%s,%s],[%s,%s],[%s,%s]]]}}' \
    "$1" "$2" "$3" "$4" "$3" "$4" "$5" "$2" "$5" "$2" "$3"
}
crs='"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}}'
printf '{"type":"FeatureCollection",%s,"features":[%s,%s]}' "$crs" "$(square 0001A0010 500000 6700000 501000 6701000)" \
  "$(square 0001A0020 501000 6700000 502000 6701000)" > old.geojson
printf '{"type":"FeatureCollection",%s,"features":[%s,%s]}' "$crs" "$(square 0001A0010 500000 6700000 501200 6701000)" \
  "$(square 0001A0020 501200 6700000 502000 6701000)" > new.geojson
printf '{"type":"FeatureCollection",%s,"features":[{"type":"Feature","properties":{"deso":"0001A0010"},"geometry":{"type":"Polygon","coordinates":[[[500000,6700000],[501000,6701000],[501000,6700000],[500000,6701000],[500000,6700000]]]}},%s]}' \
  "$crs" "$(square 0001A0020 501000 6700000 502000 6701000)" > bowtie.geojson
printf 'deso,WKT\n0001A0010,"POLYGON((500000 6700000,501000 6700000,501000 6701000,500000 6701000,500000 6700000))"\n' > nocrs.csv
echo "not geodata" > junk.gpkg
# duplicate codes, an empty and a NULL geometry, overlapping areas, absurd coordinates
printf '{"type":"FeatureCollection",%s,"features":[%s,%s,%s,{"type":"Feature","properties":{"deso":"0001A0030"},"geometry":null},{"type":"Feature","properties":{"deso":"0001A0040"},"geometry":{"type":"Polygon","coordinates":[]}}]}' \
  "$crs" "$(square 0001A0010 500000 6700000 500500 6701000)" "$(square 0001A0010 500500 6700000 501000 6701000)" \
  "$(square 0001A0020 501000 6700000 502000 6701000)" > messy.geojson
printf '{"type":"FeatureCollection",%s,"features":[%s,%s]}' "$crs" "$(square 0001A0010 500000 6700000 501100 6701000)" \
  "$(square 0001A0020 501000 6700000 502000 6701000)" > overlap.geojson
printf 'deso,WKT\n0001A0010,"POLYGON((500000 6700000,501000 6700000,501000 6701000,500000 6701000,500000 6700000))"\n0001A0020,"POLYGON EMPTY"\n' > empty.csv
printf 'deso,WKT\n0001A0010,"POLYGON((500000 6700000,1e300 6700000,1e300 6701000,500000 6701000,500000 6700000))"\n' > absurd.csv
printf 'deso,WKT\n0001A0010,"POLYGON((500000 6700000,nan 6700000,501000 6701000,500000 6701000,500000 6700000))"\n' > nan.csv
printf '{"type":"FeatureCollection",%s,"features":[%s,%s]}' "$crs" "$(square 0001R001 500000 6700000 501200 6701000)" \
  "$(square 0001R002 501200 6700000 502000 6701000)" > regso.geojson
if command -v ogr2ogr >/dev/null; then
  ogr2ogr -f GPKG engineering.gpkg new.geojson -a_srs 'ENGCRS["site",EDATUM["local"],CS[Cartesian,2],AXIS["x",east,LENGTHUNIT["metre",1]],AXIS["y",north,LENGTHUNIT["metre",1]]]' 2>/dev/null
fi
run=("$regrev" run --no-pop --old old.geojson --new new.geojson)

expect "help"                 0 "Usage: regrev COMMAND" -- "$regrev" --help
expect "run --help"           0 "--min-area"            -- "$regrev" run --help
expect "version"              0 "regrev 0."             -- "$regrev" --version
expect "no command"           2 ""                      -- "$regrev"
expect "unknown command"      2 "unknown command 'frobnicate'" -- "$regrev" frobnicate
expect "unknown option"       2 "--bogus"               -- "${run[@]}" --bogus --out o
expect "bad number"           2 "--min-area takes a number" -- "${run[@]}" --min-area abc --out o
expect "negative number"      2 "--min-share takes a number" -- "${run[@]}" --min-share -1 --out o
expect "missing file"         3 "no such file (missing.gpkg)" -- "$regrev" run --no-pop --old missing.gpkg --new new.geojson --out o
expect "not geodata"          1 "not a vector dataset GDAL can read" -- "$regrev" run --no-pop --old junk.gpkg --new new.geojson --out o
expect "unknown layer"        1 "no layer named 'nolayer'" -- "${run[@]}" --old-layer nolayer --out o
expect "unknown code field"   1 "no field 'kod'"        -- "${run[@]}" --old-code kod --out o
expect "no CRS"               1 "--assume-crs"          -- "$regrev" run --no-pop --old nocrs.csv --new new.geojson --out o
expect "no CRS, assumed"      0 ""                      -- "$regrev" run --no-pop --old nocrs.csv --new new.geojson --assume-crs EPSG:3006 --out o-assumed
# the two versions are read side by side, but their messages come in order: all of the old
# version's before any of the new one's
cp messy.geojson messy_new.geojson
"$regrev" run --no-pop --threads 2 --old messy.geojson --new messy_new.geojson --out o-order \
  >stdout.txt 2>stderr.txt
last_old=$(grep -n 'messy.geojson' stderr.txt | tail -1 | cut -d: -f1)
first_new=$(grep -n 'messy_new.geojson' stderr.txt | head -1 | cut -d: -f1)
check "messages in reading order" test -n "$last_old" -a -n "$first_new" -a "${last_old:-0}" -lt "${first_new:-0}"
# progress moves during threaded stages too (workers report every 32 areas), not only at the end
expect "progress with threads" 0 "overlaying 32/" -- "$regrev" run --quiet --progress --threads 2 \
  --old "$geo/dalarna/deso2018_dalarna.gpkg" --new "$geo/dalarna/deso2025_dalarna.geojson" --no-pop --out o-progress
expect "bow-tie repaired"     0 "feature 0, code 0001A0010: invalid polygon (Self-intersection" -- "$regrev" run --no-pop --old bowtie.geojson --new new.geojson --out o-bowtie
expect "duplicate codes gathered" 0 "code 0001A0010 appears in 2 features; gathered into one area" -- "$regrev" run --no-pop --old messy.geojson --new new.geojson --out o-messy
expect "NULL geometry skipped" 0 "feature 3, code 0001A0030: no (NULL) geometry; feature skipped" -- "$regrev" run --no-pop --old messy.geojson --new new.geojson --out o-messy
expect "empty geometry skipped" 0 "feature 2, code 0001A0020: empty geometry; feature skipped" -- "$regrev" run --no-pop --old empty.csv --assume-crs EPSG:3006 --new new.geojson --out o-empty
expect "overlapping areas warned" 0 "areas 0001A0010 and 0001A0020 of the old version overlap by 100000.0 m²" -- "$regrev" run --no-pop --old overlap.geojson --new new.geojson --out o-overlap
expect "absurd coordinates"   1 "feature 1, code 0001A0010: coordinates are not finite or far outside" -- "$regrev" run --no-pop --old absurd.csv --new new.geojson --assume-crs EPSG:3006 --out o
expect "NaN coordinates"      1 "code 0001A0010" -- "$regrev" run --no-pop --old nan.csv --new new.geojson --assume-crs EPSG:3006 --out o
expect "other level's codes"  0 "the old codes look like DeSO codes and the new ones like RegSO codes" -- "$regrev" run --no-pop --old old.geojson --new regso.geojson --out o-level
if [ -f engineering.gpkg ]; then
  expect "CRSs without a transformation" 1 "PROJ knows no transformation" -- "$regrev" run --no-pop --old old.geojson --new engineering.gpkg --out o
fi
expect "quiet silences warnings" 0 "" -- "$regrev" run --quiet --no-pop --old overlap.geojson --new new.geojson --out o-quiet
if [ -s stderr.txt ]; then failed=$((failed + 1)); echo "FAIL --quiet printed: $(cat stderr.txt)"; else passed=$((passed + 1)); echo "ok   --quiet prints nothing"; fi
for f in o-messy o-overlap; do
  [ -f $f/key.csv ] && [ -f $f/summary.json ] || { failed=$((failed + 1)); echo "FAIL $f has no outputs"; }
done
expect "good run"             0 "wrote good/"           -- "${run[@]}" --out good
expect "output not a directory" 3 "cannot create output directory" -- "${run[@]}" --out junk.gpkg/sub
expect "output under /proc"   3 "output directory" -- "${run[@]}" --out /proc/regrev-out
# a failed run leaves no outputs behind (nothing in o/ from the errors above)
if [ ! -e o ] || [ -z "$(ls -A o)" ]; then passed=$((passed + 1)); echo "ok   failed runs wrote nothing"; else failed=$((failed + 1)); echo "FAIL failed runs left: $(ls -A o)"; fi

# The good run's results: a 20 ha block moved from 0001A0020 to 0001A0010.
if grep -q '^0001A0020,0001A0010,Ger del/delar till befintlig,200000.000,' good/changes.csv; then
  passed=$((passed + 1)); echo "ok   changes.csv row of the moved block"
else
  failed=$((failed + 1)); echo "FAIL changes.csv row of the moved block"; cat good/changes.csv
fi

# A failing run into a directory with results leaves them as they were, with no temporaries.
cp -r good before
sum_inputs=$(cat old.geojson new.geojson | md5sum)
expect "failing run keeps earlier results" 1 "no layer named" -- "${run[@]}" --old-layer nolayer --out good
if diff -r before good >/dev/null && [ -z "$(ls -A good | grep regrev-tmp)" ]; then
  passed=$((passed + 1)); echo "ok   earlier results intact, no temporary files"
else
  failed=$((failed + 1)); echo "FAIL earlier results changed or temporaries left: $(ls -A good)"
fi
[ "$sum_inputs" = "$(cat old.geojson new.geojson | md5sum)" ] && { passed=$((passed + 1)); echo "ok   inputs untouched"; } \
  || { failed=$((failed + 1)); echo "FAIL inputs modified"; }

# An interrupted run (SIGTERM, SIGINT) exits 1, not by a signal, and leaves the directory as it was.
for sig in TERM INT; do
  "$regrev" run --quiet --old "$geo/switzerland/gemeinden_2015_lv03.gpkg" --new "$geo/switzerland/gemeinden_2022_lv95.gpkg" \
    --old-code bfs_nr --new-code bfs_nr --no-pop --out good 2>stderr.txt &
  pid=$!
  # wait until the handler is installed (SigCgt has SIGTERM, bit 14), so that a slow start
  # (a loaded machine, the sanitizer build) does not meet the default action; then mid-run
  for _ in $(seq 200); do
    caught=$(awk '/^SigCgt/{print $2}' /proc/$pid/status 2>/dev/null)
    [ -n "$caught" ] && [ $(( (16#$caught >> 14) & 1 )) = 1 ] && break
    sleep 0.05
  done
  sleep 0.3
  kill -s $sig $pid
  wait $pid
  got=$?
  if [ $got = 1 ] && diff -r before good >/dev/null && [ -z "$(ls -A good | grep regrev-tmp)" ] && grep -q "interrupted" stderr.txt; then
    passed=$((passed + 1)); echo "ok   SIG$sig: exit 1, earlier results intact"
  else
    failed=$((failed + 1)); echo "FAIL SIG$sig: exit $got; $(ls -A good | tr '\n' ' '); $(cat stderr.txt)"
  fi
done

# An interrupt while the outputs are renamed into place waits for the renaming: every output is
# whole and there, exit 1, "interrupted after the outputs were written". With 2 threads, so that
# the workers kept between stages are alive then too (they must not take the signal).
if [ -n "$shim" ]; then
  "${run[@]}" --quiet --threads 2 --out commit-ref 2>/dev/null
  rm -rf commit-out mark
  RENAME_MARK=$PWD/mark LD_PRELOAD=$shim ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "${run[@]}" --quiet --threads 2 --out commit-out 2>stderr.txt &
  pid=$!
  for _ in $(seq 1200); do [ -e mark ] && break; sleep 0.05; done
  kill -s INT $pid
  wait $pid
  got=$?
  if [ $got = 1 ] && [ -e mark ] && grep -q "interrupted after the outputs were written" stderr.txt &&
    [ "$(ls -A commit-out)" = "$(ls -A commit-ref)" ]; then
    passed=$((passed + 1)); echo "ok   SIGINT while renaming outputs: exit 1, every output written"
  else
    failed=$((failed + 1)); echo "FAIL SIGINT while renaming outputs: exit $got; $(ls -A commit-out 2>/dev/null | tr '\n' ' '); $(cat stderr.txt)"
  fi
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
