//go:build tools

// Package tools pins the Pulumi CLI the e2e harness runs: pkg/v3 and sdk/v3 at the release of the
// @pulumi/pulumi SDK in package.json. pkg's own `replace sdk/v3 => ../sdk` does not apply to a
// dependency, so this module requires sdk/v3 at the same version and repeats pkg's one other replace.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
