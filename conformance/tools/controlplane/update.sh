#!/usr/bin/env bash
# Regenerates go.mod/go.sum of the control-plane tools module for the versions in
# ../versions.env. k8s.io/kubernetes requires its staging modules at v0.0.0 and points
# them at ./staging with replace directives that consumers never see, so we read
# those directives from the kubernetes go.mod itself and pin each staging module to
# the matching v0.MINOR.PATCH. Run by hand when bumping versions; the result is committed.
set -euo pipefail
cd "$(dirname "$0")"
. ../versions.env
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

kmod=$(go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" |
  sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
staging_version="v0.${KUBERNETES_VERSION#v1.}"

rm -f go.mod go.sum
go mod init wicket.dev/conformance/controlplane >/dev/null 2>&1
go mod edit -go=1.26.0
# Every "X => ./staging/src/X" line in kubernetes' replace block.
for m in $(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$kmod"); do
  go mod edit -replace="${m}=${m}@${staging_version}"
done
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@${KUBERNETES_VERSION}" \
  "k8s.io/kubernetes/cmd/kube-controller-manager@${KUBERNETES_VERSION}"
# etcd's server module has a main package at its root.
go get -tool "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
go mod tidy
echo "staging modules pinned: $(grep -c '=> k8s.io/' go.mod)"
