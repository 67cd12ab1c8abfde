# Shared settings and helpers for the harness scripts. Sourced, not run.
CONF_DIR=${CONF_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
REPO_DIR=$(cd "$CONF_DIR/.." && pwd)
WORK=${WORK:-$CONF_DIR/.work}
BIN=$WORK/bin
LOGS=$WORK/logs
PKI=$WORK/pki
RUN_DIR=$WORK/run            # per-run state: etcd data, fakelet state, pids
KUBECONFIG_FILE=$WORK/kubeconfig
# The repo's Node 24 (runs .ts directly). Not $NODE: npm run sets that to the node running npm.
NODE_BIN=$REPO_DIR/node_modules/.bin/node

# Addresses: everything lives on 127.0.0.1 or in 198.18.0.0/15 (RFC 2544 test range).
ETCD_CLIENT_PORT=${ETCD_CLIENT_PORT:-22379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-22380}
APISERVER_PORT=${APISERVER_PORT:-16443}
BRIDGE=fakelet0
NODE_IP=198.18.0.1
POD_CIDR=198.18.0.0/16
SERVICE_CIDR=198.19.0.0/16
TEST_RANGE=198.18.0.0/15
GATEWAY_CLASS=wicket
CONTROLLER_NAME=wicket.dev/gateway-controller

log() { printf '[conformance %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# The control plane's own admin client, for readiness checks from bash.
kcurl() {
  curl -sS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT$1" "${@:2}"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls once a second, bounded.
wait_for() {
  local limit=$1 what=$2; shift 2
  local i
  for ((i = 0; i < limit; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "timed out after ${limit}s waiting for $what"
  return 1
}

# Installs missing system tools with apt; nothing is assumed to be pre-installed.
ensure_tools() {
  local missing=() t pkg
  for t in ip:iproute2 openssl:openssl curl:curl jq:jq nsenter:util-linux flock:util-linux; do
    command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
  done
  command -v go >/dev/null || die "Go is required (go 1.26); see conformance/README.md"
  [[ -x $NODE_BIN ]] || die "$NODE_BIN missing: run npm ci first"
  if ((${#missing[@]})); then
    log "installing ${missing[*]} with apt"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
      die "could not install ${missing[*]}"
  fi
}
