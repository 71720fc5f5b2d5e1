package org.vamt.wsman.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.vamt.bench.Envelopes;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;

/**
 * The in-process part of the paper's Get (CIM_SoftwareIdentity InstanceID=AMT), step by step:
 * parsing the request, the CIMOM's getInstance (the real CimObjectManagerImpl with vAMT's schema
 * and a provider that enumerates the same 12 identities as vamt-provider-software), writing the
 * response, and all of it through WsmanOperations. In package internal because those classes are
 * package-private. Run: see docs/benchmarks.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GetPathBenchmark {
    private static final String[] IDS = {"Flash", "Netstack", "AMTApps", "AMT", "Sku", "VendorID", "Build Number",
        "Recovery Version", "Recovery Build Num", "Legacy Mode", "AMT FW Core Version"};

    private final RequestParser parser = new RequestParser();
    private final RequestContext ctx = new RequestContext("6f8c1a52-4b1e-4d6a-9a01-000000000001", "desktop-01",
            "admin", "Digest:0000");
    private byte[] body;
    private WsmanRequest request;
    private CimObjectManager cimom;
    private CimInstance amt;
    private WsmanOperations operations;

    /** Like vamt-provider-software: enumeration only, so a Get searches the enumeration. */
    static final class SoftwareIdentities implements CimProvider {
        @Override
        public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
            List<CimInstance> list = new ArrayList<>();
            for (String id : IDS) {
                list.add(CimInstance.builder("CIM_SoftwareIdentity").key("InstanceID", id).property("IsEntity", true)
                        .property("VersionString", "16.1.30").build());
            }
            return list;
        }
    }

    @Setup
    public void setUp() throws Exception {
        body = Envelopes.getSoftwareIdentity();
        request = parser.parse(body);
        cimom = new TestCimom().serve(new SoftwareIdentities(), "CIM_SoftwareIdentity").manager();
        amt = cimom.getInstance(ctx, new CimObjectPath("CIM_SoftwareIdentity", request.selectors()));
        operations = new WsmanOperations(cimom, new EnumerationContexts(60_000, 4));
    }

    @Benchmark
    public WsmanRequest parse() throws Exception {
        return parser.parse(body);
    }

    @Benchmark
    public CimInstance cimomGetInstance() throws Exception {
        return cimom.getInstance(ctx, new CimObjectPath("CIM_SoftwareIdentity", request.selectors()));
    }

    @Benchmark
    public String writeResponse() {
        return EnvelopeWriter.begin(request, Ns.WXF + "/GetResponse", request.resourceUri(), List.of(amt))
                .instance(amt).finish();
    }

    @Benchmark
    public String parseAndHandle() throws Exception {
        return operations.handle(ctx, parser.parse(body));
    }
}
