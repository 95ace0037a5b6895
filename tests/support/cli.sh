# tests/support/cli.sh: what the command-line test scripts share (sourced, not run).
# Counters `passed` and `failed`; a test writes stdout.txt and stderr.txt in the current folder.

passed=0 failed=0

pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1${2:+ ($2)}"; }

check() { # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect NAME EXIT STDERR_SUBSTRING -- COMMAND...
# The command must exit with EXIT and print STDERR_SUBSTRING (when not empty); an error is
# exactly one line starting with "regrev: error: ".
expect() {
  local name=$1 want=$2 needle=$3
  shift 4
  "$@" >stdout.txt 2>stderr.txt
  local got=$?
  local ok=1
  [ "$got" = "$want" ] || ok=0
  if [ -n "$needle" ] && ! grep -qF -- "$needle" stderr.txt stdout.txt; then ok=0; fi
  if [ "$want" != 0 ]; then
    [ "$(grep -c '^regrev: error: ' stderr.txt)" = 1 ] || ok=0
  fi
  if [ $ok = 1 ]; then
    pass "$name"
  else
    fail "$name" "exit $got, want $want; stderr: $(head -c 400 stderr.txt)"
  fi
}
