#!/bin/sh
# Rebuild the Swiss municipal test partitions from the npm package swiss-maps.
# Needs: npm (registry access), gdal-bin (ogr2ogr/ogrinfo), python3-gdal for derive_mergers.py.
# Usage: sh build.sh            (writes into the directory of this script)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
VER=4.7.0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm pack "swiss-maps@$VER" >/dev/null
# expected sha1 of the tarball (from `npm view swiss-maps@4.7.0 dist.shasum`)
echo "a32e30afd8231a56c39cd76ff714ab60f12a006f  swiss-maps-$VER.tgz" | sha1sum -c -
tar xzf "swiss-maps-$VER.tgz"
P="$TMP/package"

# 2015: source CRS CH1903 / LV03 (EPSG:21781), kept as is
rm -f "$HERE/gemeinden_2015_lv03.gpkg" "$HERE/gemeinden_2022_lv95.gpkg"
ogr2ogr -f GPKG "$HERE/gemeinden_2015_lv03.gpkg" "$P/2015/municipalities.shp" \
  -nln gemeinden -nlt MULTIPOLYGON -a_srs EPSG:21781 \
  -sql "SELECT id AS bfs_nr, name AS gmd_name, KTNR AS kt_nr FROM municipalities ORDER BY id"
# 2022: source CRS CH1903+ / LV95 (EPSG:2056), kept as is
ogr2ogr -f GPKG "$HERE/gemeinden_2022_lv95.gpkg" "$P/2022/municipalities.shp" \
  -nln gemeinden -nlt MULTIPOLYGON -a_srs EPSG:2056 \
  -sql "SELECT id AS bfs_nr, name AS gmd_name, KTNR AS kt_nr FROM municipalities ORDER BY id"

/usr/bin/python3 "$HERE/derive_mergers.py" "$HERE/gemeinden_2015_lv03.gpkg" "$HERE/gemeinden_2022_lv95.gpkg" "$HERE/mergers.csv"
