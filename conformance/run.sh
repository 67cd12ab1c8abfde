#!/usr/bin/env bash
# Runs the official Gateway API conformance suite against Wicket on a local control
# plane (etcd, kube-apiserver, kube-controller-manager built from Go modules) and the
# fakelet node agent. See conformance/README.md.
#
#   bash conformance/run.sh                      full run, all GATEWAY-* profiles
#   bash conformance/run.sh --run-test NAME      one test
#   bash conformance/run.sh --skip-tests A,B     skip some tests
#   bash conformance/run.sh --ci                 CI: enforce expected-pass.txt
#   bash conformance/run.sh --harness-check      verify the harness itself, without Wicket
#   bash conformance/run.sh --up                 start everything (with Wicket) and wait for Ctrl-C
#   bash conformance/run.sh ... -- ARGS          extra flags for the suite binary
set -euo pipefail
CONF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$CONF_DIR/lib/common.sh"
. "$CONF_DIR/lib/build.sh"
. "$CONF_DIR/lib/pki.sh"
. "$CONF_DIR/lib/net.sh"
. "$CONF_DIR/lib/procs.sh"
. "$CONF_DIR/lib/cluster.sh"
. "$CONF_DIR/lib/wicket.sh"
. "$CONF_DIR/lib/suite.sh"

RUN_TEST='' SKIP_TESTS='' CI_MODE=0 HARNESS_CHECK=0 UP_ONLY=0 EXTRA=()
while (($#)); do
  case $1 in
    --run-test) RUN_TEST=$2; shift 2 ;;
    --run-test=*) RUN_TEST=${1#*=}; shift ;;
    --skip-tests) SKIP_TESTS=$2; shift 2 ;;
    --skip-tests=*) SKIP_TESTS=${1#*=}; shift ;;
    --ci) CI_MODE=1; shift ;;
    --harness-check) HARNESS_CHECK=1; shift ;;
    --up) UP_ONLY=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

EXPECTED=$CONF_DIR/expected-pass.txt
if ((CI_MODE)) && ! grep -qE '^[[:space:]]*[A-Za-z0-9]' "$EXPECTED" 2>/dev/null; then
  log "SKIPPED: $EXPECTED lists no test, so CI has nothing to enforce yet."
  log "Add the ShortName of each test Wicket passes (one per line) to turn this check on."
  exit 0
fi

[[ $EUID -eq 0 ]] || die "run as root: Pods need network namespaces and a bridge, Gateways ports below 1024"
ensure_tools
mkdir -p "$LOGS" "$RUN_DIR" "$CONF_DIR/reports"
# One run at a time on the whole machine, whichever checkout it comes from: every run uses the
# same bridge, Pod network namespaces and control-plane ports, and its start-up clean-up would
# tear down another run's. CI waits for a run in progress to end; interactive runs say so at once.
LOCK=/run/lock/wicket-conformance.lock
mkdir -p "$(dirname "$LOCK")"
exec 9>"$LOCK"
if ((CI_MODE)); then
  flock -w 1800 9 || die "another conformance run held $LOCK for 30 minutes"
else
  flock -n 9 || die "another conformance run is in progress (lock $LOCK)"
fi

teardown() {
  local rc=$?
  trap - EXIT INT TERM
  log "tearing down"
  stop_all_procs
  net_down
  rm -rf "$RUN_DIR/etcd" "$RUN_DIR/fakelet/pods"
  exit "$rc"
}
trap teardown EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Leftovers of a run that was killed before its teardown.
stop_all_procs
net_down
# Component logs describe the latest run only (build logs stay until the next build).
find "$LOGS" -maxdepth 1 -name '*.log' ! -name 'build-*' -delete

t0=$SECONDS
build_all
ensure_pki
write_kubeconfig
net_up
start_etcd
start_apiserver
install_crds
start_kcm
start_fakelet
log "control plane and node up in $((SECONDS - t0))s (kubeconfig: $KUBECONFIG_FILE)"

if ((HARNESS_CHECK)); then
  harness_check
  exit $?
fi

create_gateway_class
if ! start_wicket; then
  log "Wicket is not able to run yet; the harness itself is up and working (try --harness-check)."
  exit 3
fi

if ((UP_ONLY)); then
  log "everything is up; export KUBECONFIG=$KUBECONFIG_FILE. Ctrl-C tears it down."
  while proc_alive wicket; do sleep 5; done
  log "Wicket exited"
  exit 1
fi

rc=0
run_suite || rc=$?
# In CI only the expected-pass list decides; tests Wicket does not pass yet may fail.
if ((CI_MODE)); then
  bash "$CONF_DIR/check-expected.sh" "$CONF_DIR/reports/results.txt"
  exit $?
fi
[[ -n $RUN_TEST ]] || bash "$CONF_DIR/check-expected.sh" "$CONF_DIR/reports/results.txt" || true
exit "$rc"
