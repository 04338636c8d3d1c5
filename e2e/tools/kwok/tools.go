//go:build tools

// Package tools pins kwok for the e2e harness.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
