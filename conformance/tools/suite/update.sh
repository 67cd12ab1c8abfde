#!/usr/bin/env bash
# Regenerates go.mod/go.sum of the suite module (conformance test binary and the
# echo-basic backend) for GATEWAY_API_VERSION in ../versions.env. The conformance
# module's own go.mod replaces sigs.k8s.io/gateway-api with "../", which consumers
# ignore, so the root module is required here at the same version.
set -euo pipefail
cd "$(dirname "$0")"
. ../versions.env
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
rm -f go.mod go.sum
go mod init wicket.dev/conformance/suite >/dev/null 2>&1
go mod edit -go=1.26.0
go get "sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}" \
  "sigs.k8s.io/gateway-api/conformance@${GATEWAY_API_VERSION}"
go get -tool "sigs.k8s.io/gateway-api/conformance/echo-basic@${GATEWAY_API_VERSION}"
go mod tidy
