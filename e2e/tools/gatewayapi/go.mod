// The Kubernetes Gateway API's standard CRDs for the e2e harness's Gateway API and ambient stacks, read
// from the sigs.k8s.io/gateway-api module (config/crd/standard): v1.6.3, the release Istio 1.31 (the
// harness's charts) is built against.
module istio-lab/e2e/tools/gatewayapi

go 1.26.0

require sigs.k8s.io/gateway-api v1.6.3
