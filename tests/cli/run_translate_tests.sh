#!/usr/bin/env bash
# run_translate_tests.sh REGREV GEODATA WORKDIR: `regrev translate` and `regrev key-chain` on
# Dalarna: SCB's 2022 population on DeSO 2018 carried to DeSO 2025 and compared with SCB's own
# 2024 figures (totals kept exactly; on the areas the revision touched, population weights beat
# area weights), SCB's PxWeb CSV carried back to DeSO 2018 in its own shape, JSON-stat, chained
# keys, and the errors CONTRACT.md promises (exit codes, one line naming code/line/column, no
# output file).
set -u
regrev=$1 geo=$2 work=$3
. "$(cd "$(dirname "$0")" && pwd)/../support/cli.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

# |a - b| <= tol
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
# the median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- the key of the default data (Dalarna, with its population grid) ------------------------
"$regrev" run --quiet --old "$geo/dalarna/deso2018_dalarna.gpkg" \
  --new "$geo/dalarna/deso2025_dalarna.geojson" --pop "$geo/dalarna/befolkning_1km_2025_dalarna.csv" \
  --out W/key 2>run.err
if [ ! -s W/key/key.csv ]; then
  fail "regrev run for the key" "$(head -c 400 run.err)"
  echo "translate tests: $passed passed, $((failed)) failed"
  exit 1
fi
pass "regrev run for the key"
key=W/key/key.csv

# ---- SCB 2022 on DeSO 2018, Dalarna (county 20): deso,total ------------------------------------
awk -F, 'NR == 1 { print "deso,total"; next } substr($1, 1, 2) == "20" { print $1 "," $2 }' \
  "$geo/scb/folkmangd_deso2018_2022_alder.csv" > d18.csv
expect "translate, population weights" 0 "wrote d25_pop.csv" -- \
  "$regrev" translate --key "$key" --in d18.csv --out d25_pop.csv --weights pop
expect "translate, area weights" 0 "wrote d25_area.csv" -- \
  "$regrev" translate --key "$key" --in d18.csv --out d25_area.csv --weights area
expect "translate, default weights are population" 0 "population weights" -- \
  "$regrev" translate --key "$key" --in d18.csv --out d25_default.csv
check "default weights = --weights pop" cmp -s d25_default.csv d25_pop.csv
check "output header: the input's plus quality" [ "$(head -1 d25_pop.csv)" = "deso,total,quality" ]
check "every row has a quality" awk -F, 'NR > 1 && $3 != "exact" && $3 != "estimated" { bad = 1 } END { exit bad }' d25_pop.csv

sum_in=$(awk -F, 'NR > 1 { s += $2 } END { printf "%.6f", s }' d18.csv)
sum_pop=$(awk -F, 'NR > 1 { s += $2 } END { printf "%.6f", s }' d25_pop.csv)
sum_area=$(awk -F, 'NR > 1 { s += $2 } END { printf "%.6f", s }' d25_area.csv)
check "total kept, population weights ($sum_in -> $sum_pop)" near "$sum_in" "$sum_pop" 1e-6
check "total kept, area weights ($sum_in -> $sum_area)" near "$sum_in" "$sum_area" 1e-6
# per municipality (first four characters of the code)
kommun_sums() { awk -F, 'NR > 1 { s[substr($1, 1, 4)] += $2 } END { for (k in s) printf "%s %.6f\n", k, s[k] }' "$1" | sort; }
kommun_sums d18.csv > k_in.txt
kommun_sums d25_pop.csv > k_pop.txt
check "municipal totals kept" awk 'NR == FNR { t[$1] = $2; next } { d = t[$1] - $2; if (d < 0) d = -d; if (d > 1e-6) bad = 1; n++ }
  END { exit bad || n != 15 }' k_in.txt k_pop.txt

# ---- against SCB's own 2024 figures on DeSO 2025 ---------------------------------------------
awk -F, 'NR > 1 && $2 == "\"totalt\"" { gsub(/"/, "", $1); sub(/_DeSO2025$/, "", $1); print $1 "," $4 }' \
  "$geo/dalarna/folkmangd_deso2025_2024_pxweb.csv" | sort > scb2024.csv
# the areas the revision touched: a DeSO 2025 code fed by more than one DeSO 2018 area or by
# part of one (a relation with w_area_old < 1)
awk -F, 'NR > 1 && $1 != "" && $2 != "" { n[$2]++; if ($5 + 0 < 1 - 1e-9) part[$2] = 1 }
  END { for (c in n) if (n[c] > 1 || part[c]) print c }' "$key" | sort > touched.txt
ntouched=$(wc -l < touched.txt)
abs_errors() { join -t, scb2024.csv <(tail -n +2 "$1" | cut -d, -f1,2 | sort) | join -t, - touched.txt |
  awk -F, '{ d = $3 - $2; if (d < 0) d = -d; print d }'; }
mae_pop=$(abs_errors d25_pop.csv | median)
mae_area=$(abs_errors d25_area.csv | median)
nmatched=$(abs_errors d25_pop.csv | wc -l)
echo "     Dalarna, SCB 2022 (DeSO 2018) -> DeSO 2025 vs SCB 2024: total $sum_in in, $sum_pop out (pop), $sum_area out (area)"
echo "     median absolute error on the $nmatched touched areas: population weights $mae_pop, area weights $mae_area"
check "touched areas found ($ntouched) and all in SCB's 2024 table" [ "$ntouched" -gt 0 ] && [ "$nmatched" = "$ntouched" ]
check "population weights closer to SCB 2024 than area weights ($mae_pop < $mae_area)" \
  awk -v p="$mae_pop" -v a="$mae_area" 'BEGIN { exit !(p + 0 < a + 0) }'
check "touched areas are marked estimated" awk -F, 'NR == FNR { t[$1] = 1; next } FNR > 1 && ($1 in t) && $3 != "estimated" { bad = 1 } END { exit bad }' touched.txt d25_pop.csv

# ---- SCB's PxWeb CSV back to DeSO 2018, same shape ---------------------------------------------
px="$geo/dalarna/folkmangd_deso2025_2024_pxweb.csv"
expect "PxWeb CSV --reverse" 0 "PxWeb CSV" -- \
  "$regrev" translate --key "$key" --reverse --in "$px" --out px2018.csv
check "PxWeb header kept, quality added" [ "$(head -1 px2018.csv)" = "$(head -1 "$px"),\"quality\"" ]
n_old=$(awk -F, 'NR > 1 && $1 != "" { print $1 }' "$key" | sort -u | wc -l)
check "one row per DeSO 2018 code and age band ($n_old x 5)" [ "$(tail -n +2 px2018.csv | wc -l)" = "$((n_old * 5))" ]
check "codes are DeSO 2018 codes of the key, without suffix" awk -F, 'NR == FNR { if (FNR > 1) old[$1] = 1; next }
  FNR > 1 { c = $1; gsub(/"/, "", c); if (!(c in old)) bad = 1 } END { exit bad }' "$key" px2018.csv
check "quoted text and the age bands kept" awk -F, 'FNR > 1 && ($2 !~ /^"(totalt|65-69|70-74|75-79|80-)"$/ || $3 != "\"1+2\"") { bad = 1 } END { exit bad }' px2018.csv
age_totals() { awk -F, 'NR > 1 { s[$2] += $4 } END { for (a in s) printf "%s %.6f\n", a, s[a] }' "$1" | sort; }
check "totals per age band kept" cmp -s <(age_totals "$px") <(age_totals px2018.csv)

# ---- JSON-stat 2.0 (built from the PxWeb CSV's totals) ---------------------------------------
awk -F, 'BEGIN { n = 0 } NR > 1 && $2 == "\"totalt\"" { gsub(/"/, "", $1); c[n] = $1; v[n] = $4; n++ }
  END { printf "{\"version\":\"2.0\",\"class\":\"dataset\",\"label\":\"Folkmängd\",\"id\":[\"Region\",\"Tid\"],\"size\":[%d,1],", n
        printf "\"role\":{\"geo\":[\"Region\"],\"time\":[\"Tid\"]},\"dimension\":{\"Region\":{\"category\":{\"index\":["
        for (i = 0; i < n; i++) printf "%s\"%s\"", i ? "," : "", c[i]
        printf "]}},\"Tid\":{\"category\":{\"index\":[\"2024\"]}}},\"value\":["
        for (i = 0; i < n; i++) printf "%s%s", i ? "," : "", v[i]
        printf "]}\n" }' "$px" > pop2024.json
expect "JSON-stat --reverse" 0 "JSON-stat 2.0" -- \
  "$regrev" translate --key "$key" --reverse --in pop2024.json --out pop2024_deso2018.json
check "JSON-stat: size of Region is the number of DeSO 2018 codes" grep -q "\"size\":\\[$n_old,1\\]" pop2024_deso2018.json
check "JSON-stat: quality in the Region dimension's extension" grep -q '"extension":{"quality":{' pop2024_deso2018.json
js_total=$(grep -o '"value":\[[^]]*\]' pop2024_deso2018.json | tr -d '"value:[]' | tr ',' '\n' | awk '{ s += $1 } END { printf "%.6f", s }')
px_total=$(awk -F, 'NR > 1 && $2 == "\"totalt\"" { s += $4 } END { printf "%.6f", s }' "$px")
check "JSON-stat: total kept ($px_total -> $js_total)" near "$px_total" "$js_total" 1e-6

# ---- chained keys: A (2018 -> 2025) then the identity on 2025 = A ----------------------------
awk -F, 'NR == 1 { print; next } $2 != "" { print $2 "," $2 ",1,1,1,1,1,1" }' "$key" | awk 'NR == 1 || !seen[$0]++' > identity2025.csv
expect "key-chain" 0 "wrote chained.csv" -- "$regrev" key-chain "$key" identity2025.csv --out chained.csv
expect "translate with the chained key" 0 "" -- \
  "$regrev" translate --quiet --key chained.csv --in d18.csv --out d25_chained.csv
check "chained key translates like the key" cmp -s d25_chained.csv d25_pop.csv
expect "translate --key A --key B" 0 "" -- \
  "$regrev" translate --quiet --key "$key" --key identity2025.csv --in d18.csv --out d25_twokeys.csv
check "--key A --key B translates like the key" cmp -s d25_twokeys.csv d25_pop.csv
# a next key that lacks one DeSO 2025 code (renamed): A's data for it could not go on
awk -F, -v OFS=, 'NR == 2 { $1 = $2 = "2099X0001" } { print }' identity2025.csv > next_gap.csv
lost=$(sed -n 2p identity2025.csv | cut -d, -f1)
expect "key-chain: a code the next key lacks" 1 "code $lost, which" -- "$regrev" key-chain "$key" next_gap.csv --out bad.csv
check "no output after a failed key-chain" [ ! -e bad.csv ]

# ---- long tables, means, unknown codes, broken tables, usage ---------------------------------
awk -F, 'NR == 1 { print "code,period,value"; next } { print $1 ",2021," $2 - 10; print $1 ",2022," $2 }' d18.csv > long.csv
expect "long table, two periods" 0 "long CSV" -- "$regrev" translate --key "$key" --in long.csv --out long25.csv
check "long: both periods for every DeSO 2025 code" [ "$(tail -n +2 long25.csv | wc -l)" = "$(( $(tail -n +2 d25_pop.csv | wc -l) * 2 ))" ]
expect "mean by population" 0 "" -- "$regrev" translate --key "$key" --in d18.csv --kind mean --out mean.csv
expect "median" 0 "" -- "$regrev" translate --key "$key" --in d18.csv --kind median --out median.csv

{ head -3 d18.csv; echo "2099Z9999,17"; tail -n +4 d18.csv; } > unknown.csv
expect "unknown code: exit 1 naming code and line" 1 "code 2099Z9999 is not in the key" -- \
  "$regrev" translate --key "$key" --in unknown.csv --out unknown_out.csv
check "unknown code: line 4 named" grep -q "line 4" stderr.txt
check "unknown code: no output file" [ ! -e unknown_out.csv ]
check "unknown code: no temporary left" [ -z "$(ls -A | grep regrev-tmp)" ]
expect "--allow-unknown passes it through" 0 "2099Z9999" -- \
  "$regrev" translate --key "$key" --in unknown.csv --out unknown_out.csv --allow-unknown
check "--allow-unknown: the row is there unchanged" grep -q '^2099Z9999,17,' unknown_out.csv

{ head -3 d18.csv; echo "2021A0030,12,13"; tail -n +5 d18.csv; } > ragged.csv
expect "ragged row: exit 1 naming line and column" 1 "ragged row" -- \
  "$regrev" translate --key "$key" --in ragged.csv --out ragged_out.csv
check "ragged row: line 4, column 3" grep -q "line 4, column 3" stderr.txt
{ head -5 d18.csv; echo "2021C1010,many"; } > text.csv
expect "text where a number belongs" 1 "text where a number belongs: 'many'" -- \
  "$regrev" translate --key "$key" --in text.csv --out text_out.csv
check "text: line 6, column 2" grep -q "line 6, column 2" stderr.txt
: > empty.csv
expect "empty table" 1 "empty file" -- "$regrev" translate --key "$key" --in empty.csv --out e.csv
head -c 300 "$px" | head -3 > px_broken.csv && echo '"2021A0020_DeSO2025","totalt",999' >> px_broken.csv
expect "broken PxWeb CSV" 1 "ragged row" -- "$regrev" translate --key "$key" --in px_broken.csv --out pb.csv
echo '{"version":"2.0","class":"dataset","id":["Region"],' > broken.json
expect "broken JSON-stat" 1 "not valid JSON" -- "$regrev" translate --key "$key" --in broken.json --out bj.json
check "no outputs after failures" [ ! -e ragged_out.csv ] && [ ! -e text_out.csv ] && [ ! -e e.csv ] && [ ! -e pb.csv ] && [ ! -e bj.json ]

expect "translate --help" 0 "--denominator" -- "$regrev" translate --help
expect "key-chain --help" 0 "w(a->c)" -- "$regrev" key-chain --help
expect "no --key" 2 "needs --key" -- "$regrev" translate --in d18.csv --out x.csv
expect "bad --weights" 2 "--weights takes pop or area" -- "$regrev" translate --key "$key" --in d18.csv --out x.csv --weights people
expect "bad --kind" 2 "--kind takes count" -- "$regrev" translate --key "$key" --in d18.csv --out x.csv --kind sum
expect "--out is the input" 2 "never overwrites its inputs" -- "$regrev" translate --key "$key" --in d18.csv --out d18.csv
expect "missing table" 3 "no such file (missing.csv)" -- "$regrev" translate --key "$key" --in missing.csv --out x.csv
expect "missing key" 3 "no such file (nokey.csv)" -- "$regrev" translate --key nokey.csv --in d18.csv --out x.csv
expect "not a key" 1 "not a key" -- "$regrev" translate --key d18.csv --in d18.csv --out x.csv
awk -F, -v OFS=, 'NR > 1 { $4 = $7 = $8 = "" } { print }' "$key" > key_nopop.csv
expect "pop weights without population" 2 "population weights asked for" -- \
  "$regrev" translate --key key_nopop.csv --in d18.csv --out x.csv --weights pop
expect "a key without population: area weights" 0 "area weights" -- \
  "$regrev" translate --key key_nopop.csv --in d18.csv --out d25_nopop.csv
check "... the same as --weights area" cmp -s d25_nopop.csv d25_area.csv
check "inputs untouched" cmp -s <(awk -F, 'NR == 1 { print "deso,total"; next } substr($1, 1, 2) == "20" { print $1 "," $2 }' "$geo/scb/folkmangd_deso2018_2022_alder.csv") d18.csv

echo "translate tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
