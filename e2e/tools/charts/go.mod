// Istio's Helm charts (base, istiod, gateway) for the e2e harness's helm flavour, read as a local chart
// directory from the istio.io/istio module. The proxy serves it at pseudo-versions of the master branch;
// this one, commit eed52ebb66ad, is the commit Istio 1.31.0 was tagged at (2026-08-31).
module istio-lab/e2e/tools/charts

go 1.26.0

require istio.io/istio v0.0.0-20260827124520-eed52ebb66ad
