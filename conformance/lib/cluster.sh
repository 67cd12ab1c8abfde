# The control plane: etcd, kube-apiserver and kube-controller-manager built from Go
# modules, plus the fakelet node agent. Sourced by run.sh after common.sh and procs.sh.

start_etcd() {
  rm -rf "$RUN_DIR/etcd"
  # Throwaway data: fsync buys nothing here and costs seconds per test on a busy disk.
  start_proc etcd "$BIN/etcd" --name conformance --data-dir "$RUN_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "conformance=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --log-level warn
  wait_for 30 "etcd health" curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health" || return 1
}

start_apiserver() {
  # --endpoint-reconciler-type=none: the advertise address is loopback, which the
  #   Endpoints of the "kubernetes" Service may not contain.
  # --disable-admission-plugins=ServiceAccount: no token volumes to materialise.
  # --kubelet-preferred-address-types=InternalIP: logs are fetched from the fakelet
  #   on the Node's bridge address; no kubelet CA is set, so its self-signed cert is accepted.
  start_proc kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode RBAC \
    --endpoint-reconciler-type none \
    --disable-admission-plugins ServiceAccount \
    --kubelet-preferred-address-types InternalIP \
    --enable-priority-and-fairness=false --profiling=false
  wait_for 120 "kube-apiserver /readyz" kcurl /readyz -f || return 1
}

start_kcm() {
  # Only the controllers the suite relies on: Deployments -> ReplicaSets -> Pods,
  # EndpointSlices, cascading deletion, namespace deletion, default ServiceAccounts.
  # No node-lifecycle/taint controllers: the fakelet's Node has no kubelet lease.
  start_proc kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$KUBECONFIG_FILE" --leader-elect=false --secure-port 0 \
    --controllers deployment-controller,replicaset-controller,endpointslice-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,pod-garbage-collector-controller \
    --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false
  sleep 1
  proc_alive kube-controller-manager || { tail -20 "$LOGS/kube-controller-manager.log"; return 1; }
}

start_fakelet() {
  mkdir -p "$RUN_DIR/fakelet"
  start_proc fakelet "$NODE_BIN" "$CONF_DIR/fakelet/main.ts" \
    --kubeconfig "$KUBECONFIG_FILE" --state-dir "$RUN_DIR/fakelet" \
    --node-name fakelet-0 --node-ip "$NODE_IP" --pod-cidr "$POD_CIDR" --bridge "$BRIDGE" \
    --echo-basic "$BIN/echo-basic" \
    --kubelet-cert "$PKI/kubelet.crt" --kubelet-key "$PKI/kubelet.key"
  wait_for 30 "Node fakelet-0 Ready" node_ready || return 1
}

node_ready() {
  kcurl /api/v1/nodes/fakelet-0 -f | jq -e '.status.conditions[] | select(.type=="Ready" and .status=="True")'
}

# The experimental channel, straight from the gateway-api module the suite was built from.
install_crds() {
  local dir
  dir=$(cd "$CONF_DIR/tools/suite" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api) ||
    return 1
  local files=()
  for f in "$dir"/config/crd/experimental/*.yaml; do
    [[ $(basename "$f") == kustomization.yaml ]] || files+=("$f")
  done
  "$NODE_BIN" "$CONF_DIR/scripts/apply.ts" --kubeconfig "$KUBECONFIG_FILE" --wait-crds 60 "${files[@]}"
}
