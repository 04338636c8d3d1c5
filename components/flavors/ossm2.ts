// OpenShift Service Mesh 2: the `ServiceMeshControlPlane` `basic` (awaited until Ready), which makes istiod and
// the ingress gateway itself, and the `ServiceMeshMemberRoll` `default` listing the lab's namespaces.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LAB_LABELS, waitFor } from "../lab";
import { DEFAULT_SMCP_VERSION } from "../versions";
import { FlavorContext, FlavorParts, deepMerge } from "./shared";

/**
 * The `ServiceMeshControlPlane` spec the lab gets by accepting the console's defaults. Without
 * tracing (the default today: the Jaeger operator is gone from the catalog) the tracing type is `None`
 * and there is no Jaeger add-on, which the control plane would otherwise wait for forever.
 */
export function smcpSpec(version: pulumi.Input<string>, tracing = true): Record<string, unknown> {
    return {
        version,
        tracing: tracing ? { type: "Jaeger", sampling: 10000 } : { type: "None" },
        policy: { type: "Istiod" },
        telemetry: { type: "Istiod" },
        addons: {
            ...(tracing ? { jaeger: { install: { storage: { type: "Memory" } } } } : {}),
            prometheus: { enabled: true },
            kiali: { enabled: true },
            grafana: { enabled: true },
        },
    };
}

/** The OSSM 2 control plane. */
export function ossm2ControlPlane(x: FlavorContext): FlavorParts {
    const { name, parent, args, nsName, nsOut, requires, members, values } = x;
    const smcp = new k8s.apiextensions.CustomResource(
        `${name}-smcp`,
        {
            apiVersion: "maistra.io/v2",
            kind: "ServiceMeshControlPlane",
            metadata: {
                name: "basic",
                namespace: nsOut,
                labels: LAB_LABELS,
                annotations: waitFor("condition=Ready"),
            },
            spec: deepMerge(
                {
                    ...smcpSpec(args.version ?? DEFAULT_SMCP_VERSION, args.tracing ?? false),
                    // OSSM 2's ingress gateway is ClusterIP behind the Route unless asked otherwise.
                    ...(args.serviceType && args.serviceType !== "ClusterIP"
                        ? { gateways: { ingress: { service: { type: args.serviceType } } } }
                        : {}),
                },
                values,
            ),
        },
        { parent, dependsOn: requires },
    );
    const memberRoll = new k8s.apiextensions.CustomResource(
        `${name}-smmr`,
        {
            apiVersion: "maistra.io/v1",
            kind: "ServiceMeshMemberRoll",
            metadata: { name: "default", namespace: nsOut, labels: LAB_LABELS },
            spec: { members },
        },
        { parent, dependsOn: [smcp] },
    );
    return { ready: [smcp, memberRoll], ingressNamespace: nsOut, ingressCreated: smcp.urn.apply(() => nsName) };
}
