import { expect } from "chai";
import { TrafficPolicy, httpRoutes, trafficSplit } from "../../components/traffic";
import { record } from "../../tools/engine";
import { named, rejects, spec } from "../helpers";

const subsets = [
    { name: "v1", version: "1.0" },
    { name: "v2", version: "2.0" },
];
const to = (subset: string) => ({ host: "guestbook", subset });

describe("TrafficPolicy", () => {
    describe("canary weight table", () => {
        const table: Array<[number, unknown]> = [
            [0, [{ route: [{ destination: to("v1") }] }]],
            [
                20,
                [
                    {
                        route: [
                            { destination: to("v1"), weight: 80 },
                            { destination: to("v2"), weight: 20 },
                        ],
                    },
                ],
            ],
            [
                50,
                [
                    {
                        route: [
                            { destination: to("v1"), weight: 50 },
                            { destination: to("v2"), weight: 50 },
                        ],
                    },
                ],
            ],
            [100, [{ route: [{ destination: to("v2") }] }]],
        ];
        for (const [weight, http] of table) {
            it(`weight ${weight} gives the lab's rule`, async () => {
                const { resources } = await record(
                    () => new TrafficPolicy("traffic", { namespace: "guestbook", subsets, canaryWeight: weight }),
                );
                const vs = named(resources, "traffic-virtual-service");
                expect(vs.type).to.equal("kubernetes:networking.istio.io/v1:VirtualService");
                expect(vs.inputs.metadata).to.deep.include({ name: "virtual-service-guestbook", namespace: "guestbook" });
                expect(spec(vs)).to.deep.equal({ hosts: ["*"], gateways: ["guestbook-gateway"], http });
            });
        }

        it("with three versions says where the traffic goes: the middle one gets none", () => {
            const three = [...subsets, { name: "v3", version: "3.0" }];
            expect(trafficSplit(three, 20)).to.deep.equal({ v1: 80, v2: 0, v3: 20 });
            expect(trafficSplit(three, 0)).to.deep.equal({ v1: 100, v2: 0, v3: 0 });
        });

        it("round robin splits by each version's share of the pods", () => {
            expect(trafficSplit(subsets, 0, "roundRobin", [3, 1])).to.deep.equal({ v1: 75, v2: 25 });
        });

        it("reports the split", () => {
            expect(trafficSplit(subsets, 0)).to.deep.equal({ v1: 100 });
            expect(trafficSplit(subsets, 20)).to.deep.equal({ v1: 80, v2: 20 });
            expect(trafficSplit(subsets, 100)).to.deep.equal({ v2: 100 });
        });
    });

    it("creates the lab's DestinationRule with one subset per version", async () => {
        const { resources } = await record(() => new TrafficPolicy("traffic", { namespace: "guestbook", subsets }));
        const dr = named(resources, "traffic-destination-rule");
        expect(dr.type).to.equal("kubernetes:networking.istio.io/v1:DestinationRule");
        expect(dr.inputs.metadata).to.deep.include({ name: "destination-rule-guestbook", namespace: "guestbook" });
        expect(spec(dr)).to.deep.equal({
            host: "guestbook",
            subsets: [
                { name: "v1", labels: { version: "1.0" } },
                { name: "v2", labels: { version: "2.0" } },
            ],
        });
        expect(resources.map((r) => r.type)).to.deep.equal([
            "istio-lab:traffic:TrafficPolicy",
            "kubernetes:networking.istio.io/v1:DestinationRule",
            "kubernetes:networking.istio.io/v1:VirtualService",
        ]);
    });

    it("puts the A/B rule ahead of the weighted route (the lab's Firefox rule)", () => {
        expect(httpRoutes("guestbook", subsets, 0, { header: "user-agent", regex: ".*Firefox.*" })).to.deep.equal([
            { match: [{ headers: { "user-agent": { regex: ".*Firefox.*" } } }], route: [{ destination: to("v2") }] },
            { route: [{ destination: to("v1") }] },
        ]);
    });

    it("puts the circuit breaker on the whole service, or on one subset", async () => {
        const breaker = {
            connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
            outlierDetection: { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "3m", maxEjectionPercent: 100 },
        };
        let { resources } = await record(() => new TrafficPolicy("t", { namespace: "guestbook", subsets, circuitBreaker: {} }));
        expect(spec(named(resources, "t-destination-rule")).trafficPolicy).to.deep.equal(breaker);

        ({ resources } = await record(
            () => new TrafficPolicy("t", { namespace: "guestbook", subsets, circuitBreaker: { subset: "v2", maxConnections: 5 } }),
        ));
        const dr = spec(named(resources, "t-destination-rule"));
        expect(dr.trafficPolicy).to.equal(undefined);
        expect(dr.subsets).to.deep.equal([
            { name: "v1", labels: { version: "1.0" } },
            {
                name: "v2",
                labels: { version: "2.0" },
                trafficPolicy: { ...breaker, connectionPool: { ...breaker.connectionPool, tcp: { maxConnections: 5 } } },
            },
        ]);
    });

    it("routes after its destination rule", async () => {
        const { resources } = await record(() => new TrafficPolicy("traffic", { namespace: "guestbook", subsets }));
        expect(named(resources, "traffic-virtual-service").dependsOn).to.deep.equal([
            "kubernetes:networking.istio.io/v1:DestinationRule::traffic-destination-rule",
        ]);
    });

    const bad: Array<[string, () => unknown, string]> = [
        [
            "weight 150",
            () => new TrafficPolicy("t", { namespace: "g", subsets, canaryWeight: 150 }),
            "TrafficPolicy args.canaryWeight: 150 is not allowed; expected an integer from 0 to 100",
        ],
        [
            "weight 20.5",
            () => new TrafficPolicy("t", { namespace: "g", subsets, canaryWeight: 20.5 }),
            "TrafficPolicy args.canaryWeight: 20.5 is not allowed; expected an integer from 0 to 100",
        ],
        [
            "no subsets",
            () => new TrafficPolicy("t", { namespace: "g", subsets: [] }),
            "TrafficPolicy args.subsets: [] is not allowed; expected at least one subset",
        ],
        [
            "unknown breaker subset",
            () => new TrafficPolicy("t", { namespace: "g", subsets, circuitBreaker: { subset: "v9" } }),
            'TrafficPolicy args.circuitBreaker.subset: "v9" is not allowed; expected one of the subsets "v1", "v2"',
        ],
        [
            "bad interval",
            () => new TrafficPolicy("t", { namespace: "g", subsets, circuitBreaker: { interval: "soon" } }),
            'TrafficPolicy args.circuitBreaker.interval: "soon" is not allowed; expected a duration such as "1s", "500ms" or "3m"',
        ],
        [
            "a lookbehind (not RE2)",
            () => new TrafficPolicy("t", { namespace: "g", subsets, abTest: { header: "user-agent", regex: "(?<=Mozilla).*" } }),
            'TrafficPolicy args.abTest.regex: "(?<=Mozilla).*" is not allowed; expected an RE2 regular expression (no lookaround or backreferences), e.g. ".*Firefox.*" or "(?i).*firefox.*"',
        ],
        [
            "a canary with round robin",
            () => new TrafficPolicy("t", { namespace: "g", subsets, canaryWeight: 20, routing: "roundRobin" }),
            'TrafficPolicy args.canaryWeight: 20 is not allowed; expected 0 with routing "roundRobin" (its one route names no subset; set routing to "weighted" for a canary)',
        ],
        [
            "a canary with one version",
            () => new TrafficPolicy("t", { namespace: "g", subsets: [subsets[0]], canaryWeight: 20 }),
            'TrafficPolicy args.canaryWeight: 20 is not allowed; expected 0 or 100 with one version ("v1"): a canary needs a second version to send traffic to',
        ],
        [
            "an unknown client TLS mode",
            () => new TrafficPolicy("t", { namespace: "g", subsets, clientTls: "SIMPLE" as "DISABLE" }),
            'TrafficPolicy args.clientTls: "SIMPLE" is not allowed; expected one of ISTIO_MUTUAL, DISABLE',
        ],
        [
            "a connection limit past int32",
            () => new TrafficPolicy("t", { namespace: "g", subsets, circuitBreaker: { maxConnections: 2 ** 31 } }),
            "TrafficPolicy args.circuitBreaker.maxConnections: 2147483648 is not allowed; expected an integer from 1 to 2147483647",
        ],
    ];
    for (const [what, build, message] of bad) {
        it(`rejects ${what} before creating anything`, () => rejects(build, message));
    }
});
