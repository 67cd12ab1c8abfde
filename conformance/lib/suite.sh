# Running the conformance test binary, and the harness's own check.
# Sourced by run.sh after the other libs.

PROFILES=GATEWAY-HTTP,GATEWAY-GRPC,GATEWAY-TLS,GATEWAY-TCP,GATEWAY-UDP
REPORTS=$CONF_DIR/reports

# The -v lines of top-level subtests ("--- PASS: TestConformance/Name (1.2s)").
RESULT_RE='^[[:space:]]*--- (PASS|FAIL|SKIP): TestConformance/[^/ ]+ '

conformance_module_dir() {
  (cd "$CONF_DIR/tools/suite" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api/conformance)
}

# suite_binary ARGS...: runs the suite; full output to $LOGS/suite.log, results live.
suite_binary() {
  local version
  version=$(jq -r .version "$REPO_DIR/package.json")
  set +e
  KUBECONFIG=$KUBECONFIG_FILE "$BIN/gwapi-conformance.test" -test.v -test.run '^TestConformance$' -test.timeout 80m \
    --gateway-class "$GATEWAY_CLASS" \
    --organization wicket --project wicket --url https://wicket.dev/ --version "v$version" \
    --contact "@wicket-maintainers" "$@" >"$LOGS/suite.log" 2>&1 &
  local pid=$!
  echo "$pid $(_starttime "$pid")" >"$RUN_DIR/pids/suite.pid"
  STARTED+=(suite)
  log "suite running (pid $pid); full output in $LOGS/suite.log"
  # Progress: each test as it starts. Go prints the PASS/FAIL lines of the suite's
  # subtests only when the whole suite ends (parallel subtests), so they come in the
  # summary. The reader stops when the suite exits.
  # Skipped tests "start" too, so with --run-test or skips there is no useful progress.
  local line
  if [[ " $* " != *" --run-test "* && " $* " != *" --skip-tests "* ]]; then
    tail -n +1 --pid "$pid" -f "$LOGS/suite.log" | grep --line-buffered -E '^=== RUN +TestConformance/[^/]+$' |
      while read -r _ _ line; do log "  running ${line#TestConformance/}"; done
  fi
  wait "$pid"
  local rc=$?
  rm -f "$RUN_DIR/pids/suite.pid"
  set -e
  return "$rc"
}

# Every test ShortName of the suite version we built, from its sources.
all_test_names() {
  grep -rhoE 'ShortName:[[:space:]]+"[A-Za-z0-9]+"' "$(conformance_module_dir)/tests" | sed -E 's/.*"(.*)"/\1/' | sort -u
}

# CI runs only the tests it enforces (everything else is skipped), which keeps the run
# well inside the CI budget. Unknown names in expected-pass.txt are an error, not a skip.
ci_skip_tests() {
  local expected unknown
  expected=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$CONF_DIR/expected-pass.txt" | grep -v '^$' | sort -u)
  unknown=$(comm -13 <(all_test_names) <(echo "$expected"))
  if [[ -n $unknown ]]; then
    log "expected-pass.txt names tests that suite $GATEWAY_API_VERSION does not have: $(echo $unknown)"
    return 1
  fi
  comm -23 <(all_test_names) <(echo "$expected") | paste -sd, -
}

run_suite() {
  local report=$REPORTS/report.yaml
  local args=(--conformance-profiles "$PROFILES" --report-output "$report")
  rm -f "$report"
  if [[ -n $RUN_TEST ]]; then
    # A single test runs whatever features it needs; the suite skips feature checks.
    args+=(--run-test "$RUN_TEST")
  fi
  # With no --supported-features the suite reads them from GatewayClass
  # status.supportedFeatures (inference is on only without --run-test/--*-features).
  local skip=$SKIP_TESTS
  if ((CI_MODE)) && [[ -z $RUN_TEST ]]; then
    skip=$(ci_skip_tests) || return 1
    log "CI: running the $(grep -cvE '^[[:space:]]*(#|$)' "$CONF_DIR/expected-pass.txt") tests of expected-pass.txt, skipping the rest"
  fi
  [[ -n $skip ]] && args+=(--skip-tests "$skip")
  # GatewayStaticAddresses asks for one address Wicket can serve (inside the --address-pool
  # run.sh gives it, far from the addresses it hands out) and one it cannot (outside the pool).
  args+=(--usable-address=127.20.250.1 --unusable-address=127.21.0.1)
  local rc=0
  suite_binary "${args[@]}" "${EXTRA[@]}" || rc=$?
  grep -E "$RESULT_RE" "$LOGS/suite.log" | sed -E 's/^[[:space:]]*--- (PASS|FAIL|SKIP): TestConformance\/([^ ]+) .*/\1 \2/' \
    >"$REPORTS/results.txt" || true
  "$NODE_BIN" "$CONF_DIR/scripts/summarize.ts" --report "$report" --results "$REPORTS/results.txt" \
    --suite-exit "$rc" --log "$LOGS/suite.log" | tee "$REPORTS/summary.txt"
  return "$rc"
}

# Verifies the harness without Wicket: base manifests become Ready Pods with test-range
# IPs, EndpointSlices list them, echo-basic answers from the host, logs come through the
# apiserver, deletion cleans up; then the real suite starts and fails cleanly at the
# Gateway readiness step, since nothing programs Gateways.
harness_check() {
  local mod
  mod=$(conformance_module_dir)
  "$NODE_BIN" "$CONF_DIR/scripts/selftest.ts" --kubeconfig "$KUBECONFIG_FILE" \
    --manifests "$mod/base/manifests.yaml" --cert "$PKI/kubelet.crt" --key "$PKI/kubelet.key" ||
    { log "harness self-test FAILED"; return 1; }

  log "suite check: GatewayClass accepted by the harness itself, no controller for Gateways"
  create_gateway_class
  kcurl "/apis/gateway.networking.k8s.io/v1/gatewayclasses/$GATEWAY_CLASS/status" -f -o /dev/null -X PATCH \
    -H 'content-type: application/merge-patch+json' \
    -d '{"status":{"conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"accepted by the harness check","observedGeneration":1,"lastTransitionTime":"2026-01-01T00:00:00Z"}]}}'
  # 60s instead of 300s for the Gateway/Pod readiness wait (durations in nanoseconds).
  echo 'timeoutConfig: {namespacesMustBeReady: 60000000000}' >"$RUN_DIR/suite-options.yaml"
  local rc=0
  suite_binary --conformance-options-file "$RUN_DIR/suite-options.yaml" --cleanup-base-resources=false \
    --conformance-profiles GATEWAY-HTTP --run-test HTTPRouteSimpleSameNamespace || rc=$?
  local gw_wait pods ready
  # The suite's poll messages while Gateways have no status from a controller.
  gw_wait=$(grep -cE 'Gateway not (Accepted|Programmed) yet|Gateway .* expected observedGeneration' "$LOGS/suite.log" || true)
  # The suite's own base manifests, applied by the suite: their Pods should all be Ready.
  pods=$(kcurl /api/v1/pods | jq '[.items[] | select(.metadata.namespace | startswith("gateway-conformance-"))]')
  ready=$(jq '[.[] | select(any(.status.conditions[]?; .type=="Ready" and .status=="True"))] | length' <<<"$pods")
  log "suite check: $ready of $(jq length <<<"$pods") Pods of the suite's base manifests Ready"
  if ((rc != 0)) && ((gw_wait > 0)) && grep -q 'Applying base manifests' "$LOGS/suite.log"; then
    log "suite check OK: the suite applied its base manifests and failed (exit $rc) waiting for Gateways ($gw_wait waits logged)"
    grep -E 'Messages:|^--- FAIL' "$LOGS/suite.log" | head -3 | sed 's/^[[:space:]]*/    /'
    return 0
  fi
  log "suite check FAILED: exit $rc; see $LOGS/suite.log"
  return 1
}
