//go:build tools

// Package critools pins crictl, the CRI client the stack's teardown and tests use.
package critools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
)
