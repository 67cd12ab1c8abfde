#!/usr/bin/env bash
# Builds the harness's Go programs into conformance/.work/bin, each set only when
# its inputs changed. Sourced by run.sh; also runnable alone: bash lib/build.sh
set -euo pipefail

CONF_DIR=${CONF_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
WORK=${WORK:-$CONF_DIR/.work}
BIN=$WORK/bin
TOOLS=$CONF_DIR/tools
. "$TOOLS/versions.env"

# Never download another toolchain, never rewrite the committed go.mod/go.sum (update.sh
# does that), and share the machine politely.
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
GO_PAR=${GO_PAR:-2}
NICE=(nice -n 10)

# Fingerprint of everything that determines a module's binaries.
# The build function's own text counts, so changing flags rebuilds only that set.
inputs_hash() {
  local name=$1 dir=$2
  { cat "$dir/go.mod" "$dir/go.sum" "$TOOLS/versions.env" $(ls "$dir"/*.go 2>/dev/null)
    declare -f "build_$name"; } | sha256sum | cut -c1-16
}

# build_set NAME MODULE_DIR: runs build_NAME in MODULE_DIR unless the stamp matches.
build_set() {
  local name=$1 dir=$2 stamp="$BIN/.$1.stamp" want
  want=$(inputs_hash "$name" "$dir")
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    return 0
  fi
  echo "[build] $name: building (inputs $want); logs in $WORK/logs/build-$name.log"
  mkdir -p "$BIN" "$WORK/logs"
  local t0=$SECONDS
  if ! (cd "$dir" && "build_$name") >"$WORK/logs/build-$name.log" 2>&1; then
    echo "[build] $name FAILED; last lines of the log:" >&2
    tail -30 "$WORK/logs/build-$name.log" >&2
    return 1
  fi
  echo "$want" >"$stamp"
  echo "[build] $name: done in $((SECONDS - t0))s"
}

build_controlplane() {
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local kv
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kv+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    kv+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  # etcd reports its module version instead of "Not provided".
  kv+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION"
  local out=$BIN/.controlplane.tmp
  rm -rf "$out" && mkdir -p "$out"
  "${NICE[@]}" go build -p "$GO_PAR" -trimpath -ldflags="-s -w$kv" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    go.etcd.io/etcd/server/v3
  # The etcd package path ends in /v3, so go names its binary "server".
  mv "$out/server" "$BIN/etcd"
  mv "$out/kube-apiserver" "$out/kube-controller-manager" "$BIN/"
  rmdir "$out"
}

build_suite() {
  "${NICE[@]}" go build -p "$GO_PAR" -trimpath -ldflags="-s -w" -o "$BIN/echo-basic" \
    sigs.k8s.io/gateway-api/conformance/echo-basic
  "${NICE[@]}" go test -c -p "$GO_PAR" -trimpath -ldflags="-s -w" -o "$BIN/gwapi-conformance.test" .
}

build_all() {
  build_set controlplane "$TOOLS/controlplane"
  build_set suite "$TOOLS/suite"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  build_all
fi
