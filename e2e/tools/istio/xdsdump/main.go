// Command xdsdump asks istiod, as the proxy of one pod would, for the configuration it sends that proxy,
// and prints it as JSON. It is the e2e harness's window on istiod's verdict: the lab's program and the
// project's model of Istio are checked against what istiod itself computes.
//
// It reads a JSON list of nodes on stdin, each {"type": "sidecar"|"router"|"ztunnel", "ip", "pod",
// "namespace"}, and prints one JSON object per node, in order, as a JSON list:
//   - sidecar and router: an aggregated (state of the world) stream asking CDS, LDS, then RDS for the
//     route names the listeners use and EDS for the clusters fed by EDS, each answer ACKed, printed as
//     {"node", "clusters", "listeners", "routes", "endpoints"} in Envoy's own JSON;
//   - ztunnel: an incremental stream asking istiod's workload and authorization resources, printed as
//     {"node", "addresses", "authorizations"}.
//
// istiod's plaintext port (15010) takes unauthenticated clients unless XDS_AUTH_PLAINTEXT is set; the
// harness runs istiod on 127.0.0.1 inside its network namespace, so nothing here leaves loopback.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	_ "github.com/cncf/xds/go/udpa/type/v1"
	_ "github.com/cncf/xds/go/xds/type/v3"
	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	_ "istio.io/api/envoy/config/filter/http/alpn/v2alpha1"
	_ "istio.io/api/envoy/extensions/stats"
	_ "istio.io/istio/pkg/config/xds"
	_ "istio.io/istio/pkg/workloadapi"
	_ "istio.io/istio/pkg/workloadapi/security"
)

const (
	typeCluster   = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeListener  = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeRoute     = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	typeEndpoint  = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	typeAddress   = "type.googleapis.com/istio.workload.Address"
	typeAuthorize = "type.googleapis.com/istio.security.Authorization"
)

type nodeSpec struct {
	Type      string `json:"type"`
	IP        string `json:"ip"`
	Pod       string `json:"pod"`
	Namespace string `json:"namespace"`
}

func (n nodeSpec) id() string {
	return fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", n.Type, n.IP, n.Pod, n.Namespace, n.Namespace)
}

func (n nodeSpec) node(version string) (*core.Node, error) {
	meta, err := structpb.NewStruct(map[string]any{
		"CLUSTER_ID":    "Kubernetes",
		"NAMESPACE":     n.Namespace,
		"ISTIO_VERSION": version,
		"INSTANCE_IPS":  n.IP,
		"POD_NAME":      n.Pod,
		"NAME":          n.Pod,
	})
	if err != nil {
		return nil, err
	}
	return &core.Node{Id: n.id(), Metadata: meta}, nil
}

// raw is a proto message as Envoy's JSON.
func raw(m proto.Message) (json.RawMessage, error) {
	b, err := protojson.MarshalOptions{UseProtoNames: false}.Marshal(m)
	return json.RawMessage(b), err
}

func rawAll(resources []*anypb.Any) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(resources))
	for _, r := range resources {
		m, err := r.UnmarshalNew()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.TypeUrl, err)
		}
		j, err := raw(m)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// sotw asks one type on an ADS stream and ACKs the answer; pushes of other types meanwhile are ACKed too.
func sotw(stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient, node *core.Node, typeURL string, names []string) ([]*anypb.Any, error) {
	if err := stream.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNames: names}); err != nil {
		return nil, err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("waiting for %s: %w", typeURL, err)
		}
		ack := &discovery.DiscoveryRequest{Node: node, TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}
		if resp.TypeUrl == typeURL {
			ack.ResourceNames = names
		}
		if err := stream.Send(ack); err != nil {
			return nil, err
		}
		if resp.TypeUrl == typeURL {
			return resp.Resources, nil
		}
	}
}

func proxyConfig(ctx context.Context, conn *grpc.ClientConn, n nodeSpec, version string) (map[string]any, error) {
	node, err := n.node(version)
	if err != nil {
		return nil, err
	}
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = stream.CloseSend() }()
	clusters, err := sotw(stream, node, typeCluster, nil)
	if err != nil {
		return nil, err
	}
	listeners, err := sotw(stream, node, typeListener, nil)
	if err != nil {
		return nil, err
	}
	var routeNames, edsNames []string
	seen := map[string]bool{}
	for _, l := range listeners {
		var lis listener.Listener
		if err := l.UnmarshalTo(&lis); err != nil {
			return nil, err
		}
		for _, fc := range append(lis.FilterChains, lis.DefaultFilterChain) {
			for _, f := range fc.GetFilters() {
				var h hcm.HttpConnectionManager
				if f.GetTypedConfig() == nil || f.GetTypedConfig().MessageIs(&h) == false {
					continue
				}
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
					return nil, err
				}
				if name := h.GetRds().GetRouteConfigName(); name != "" && !seen[name] {
					seen[name] = true
					routeNames = append(routeNames, name)
				}
			}
		}
	}
	for _, c := range clusters {
		var cl cluster.Cluster
		if err := c.UnmarshalTo(&cl); err != nil {
			return nil, err
		}
		if cl.GetType() == cluster.Cluster_EDS {
			edsNames = append(edsNames, cl.Name)
		}
	}
	var routes, endpoints []*anypb.Any
	if len(routeNames) > 0 {
		if routes, err = sotw(stream, node, typeRoute, routeNames); err != nil {
			return nil, err
		}
	}
	if len(edsNames) > 0 {
		if endpoints, err = sotw(stream, node, typeEndpoint, edsNames); err != nil {
			return nil, err
		}
	}
	out := map[string]any{"node": n}
	for key, rs := range map[string][]*anypb.Any{"clusters": clusters, "listeners": listeners, "routes": routes, "endpoints": endpoints} {
		if out[key], err = rawAll(rs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// delta asks one type on an incremental stream and ACKs the answer.
func delta(stream discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesClient, node *core.Node, typeURL string) ([]*anypb.Any, error) {
	if err := stream.Send(&discovery.DeltaDiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNamesSubscribe: []string{"*"}}); err != nil {
		return nil, err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("waiting for %s: %w", typeURL, err)
		}
		if err := stream.Send(&discovery.DeltaDiscoveryRequest{Node: node, TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce}); err != nil {
			return nil, err
		}
		if resp.TypeUrl == typeURL {
			out := make([]*anypb.Any, 0, len(resp.Resources))
			for _, r := range resp.Resources {
				out = append(out, r.Resource)
			}
			return out, nil
		}
	}
}

func ztunnelConfig(ctx context.Context, conn *grpc.ClientConn, n nodeSpec, version string) (map[string]any, error) {
	node, err := n.node(version)
	if err != nil {
		return nil, err
	}
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = stream.CloseSend() }()
	addresses, err := delta(stream, node, typeAddress)
	if err != nil {
		return nil, err
	}
	authorizations, err := delta(stream, node, typeAuthorize)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"node": n}
	if out["addresses"], err = rawAll(addresses); err != nil {
		return nil, err
	}
	if out["authorizations"], err = rawAll(authorizations); err != nil {
		return nil, err
	}
	return out, nil
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:15010", "istiod's plaintext xDS address")
	version := flag.String("istio-version", "1.31.0", "the ISTIO_VERSION the node reports")
	timeout := flag.Duration("timeout", 20*time.Second, "for all the nodes together")
	flag.Parse()
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	var nodes []nodeSpec
	if err := json.Unmarshal(input, &nodes); err != nil {
		return fmt.Errorf("stdin: a JSON list of nodes: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	results := make([]map[string]any, 0, len(nodes))
	for _, n := range nodes {
		var r map[string]any
		switch n.Type {
		case "sidecar", "router":
			r, err = proxyConfig(ctx, conn, n, *version)
		case "ztunnel":
			r, err = ztunnelConfig(ctx, conn, n, *version)
		default:
			err = fmt.Errorf("type %q: sidecar, router or ztunnel", n.Type)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", n.id(), err)
		}
		results = append(results, r)
	}
	return json.NewEncoder(os.Stdout).Encode(results)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "xdsdump: %v\n", err)
		os.Exit(1)
	}
}
