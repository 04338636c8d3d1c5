//go:build tools

// Package tools pins the Kubernetes provider the e2e harness runs. The Go module proxy here serves the
// provider module at one version only, a pseudo-version of release 4.25.0; its sdk/v4 requirement
// (v4.24.0, replaced by `../sdk` in its own repository) is not served, so sdk/v4 is replaced by v4.22.2,
// which keeps sdk/v3 below the provider's own requirement. The build (e2e/toolchain.ts) replaces the
// provider by a writable copy of its module in which it generates the embedded schema first.
package tools

import _ "github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes"
