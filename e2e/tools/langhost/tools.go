//go:build tools

// Package tools pins the Node.js language host the e2e harness runs. Later Pulumi releases ship the host
// as its own module (sdk/nodejs/cmd/pulumi-language-nodejs/v3), which the Go module proxy here refuses at
// every version; the sdk/v3 module itself contained it up to v3.68.0, which the proxy serves. It cannot
// share a module with the CLI's newer sdk/v3, hence this module of its own.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
