//go:build tools

// Package tools pins the Istio commands the e2e harness runs: istiod's pilot-discovery and istioctl.
package tools

import (
	_ "istio.io/istio/istioctl/cmd/istioctl"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
