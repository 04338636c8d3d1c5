//go:build tools

// Package tools pins the commands and modules the e2e harness builds and reads.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "istio.io/api/security/v1"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
