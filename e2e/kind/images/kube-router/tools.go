//go:build tools

// Package kuberouter pins the kube-router command built by e2e/kind/images/build.sh.
package kuberouter

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
