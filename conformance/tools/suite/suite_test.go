// Package suite wraps the upstream Gateway API conformance suite, unmodified, in a
// test binary of our own module so that its version is pinned by our go.mod.
// All the suite's flags (--gateway-class, --conformance-profiles, --supported-features,
// --run-test, --skip-tests, --report-output, ...) are registered by the upstream
// flags package and work as documented upstream.
package suite

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	conformance.RunConformance(t)
}
