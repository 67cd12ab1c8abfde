# Wicket under test: its GatewayClass and the controller itself, run out of cluster
# from the repo's sources. Sourced by run.sh after common.sh and procs.sh.

create_gateway_class() {
  cat >"$RUN_DIR/gatewayclass.yaml" <<GC
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: $GATEWAY_CLASS
spec:
  controllerName: $CONTROLLER_NAME
GC
  "$NODE_BIN" "$CONF_DIR/scripts/apply.ts" --kubeconfig "$KUBECONFIG_FILE" "$RUN_DIR/gatewayclass.yaml" >/dev/null
  log "GatewayClass $GATEWAY_CLASS (controllerName $CONTROLLER_NAME) created"
}

gateway_class_accepted() {
  kcurl "/apis/gateway.networking.k8s.io/v1/gatewayclasses/$GATEWAY_CLASS" -f |
    jq -e '.status.conditions[]? | select(.type=="Accepted" and .status=="True")'
}

# Starts Wicket and waits for it to accept the GatewayClass. Returns non-zero, with the
# reason and the end of Wicket's log, when Wicket cannot run yet.
start_wicket() {
  start_proc wicket env KUBECONFIG="$KUBECONFIG_FILE" "$NODE_BIN" "$REPO_DIR/src/cli/main.ts" run \
    --kubeconfig "$KUBECONFIG_FILE" --address-pool 127.20.0.0/16 \
    --controller-name "$CONTROLLER_NAME" --admin-address 127.0.0.1:9901
  local i
  for ((i = 0; i < 60; i++)); do
    if ! proc_alive wicket; then
      log "Wicket exited right after starting. End of $LOGS/wicket.log:"
      tail -15 "$LOGS/wicket.log" | sed 's/^/    /'
      return 1
    fi
    if gateway_class_accepted >/dev/null 2>&1; then
      log "Wicket accepted GatewayClass $GATEWAY_CLASS after ${i}s"
      return 0
    fi
    sleep 1
  done
  log "Wicket is running but did not set Accepted=True on GatewayClass $GATEWAY_CLASS within 60s."
  log "GatewayClass status: $(kcurl "/apis/gateway.networking.k8s.io/v1/gatewayclasses/$GATEWAY_CLASS" | jq -c '.status')"
  tail -15 "$LOGS/wicket.log" | sed 's/^/    /'
  return 1
}
