package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.boot.internal.BootSettingDataProvider;
import org.vamt.provider.defense.internal.EthernetPortProvider;
import org.vamt.provider.defense.internal.NetworkFilterProvider;
import org.vamt.provider.defense.internal.PortPolicyProvider;
import org.vamt.provider.defense.internal.SystemDefensePolicyProvider;
import org.vamt.remote.NodeHypervisor;

/**
 * Issue 16's acceptance: two gateways, each with its own CIMOM and its own boot and system defense
 * providers, write the same VM at the same time, and no update is lost. The VM lives on one node
 * (a real libvirt test-driver hypervisor behind the real mutual-TLS link on a socket); each
 * gateway reaches it through its own link client and GatewayHypervisor, as two vamt-gateway
 * Karafs would. The node's compare-and-set is the only thing both gateways share.
 */
class TwoGatewaysStateTest {
    private static final String VM = DemoHypervisor.BUILD_SERVER;
    private static final RequestContext CTX = new RequestContext(VM, "build-server", "admin", "Digest:X");
    private static final int ROUNDS = 12;
    private static final int POLICIES_PER_WRITER = 6;

    private DemoHypervisor node;
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;
    private LinkFixture link;
    private final List<GatewayHypervisor> gateways = new ArrayList<>();
    private final List<CimObjectManager> cimoms = new ArrayList<>();

    @BeforeEach
    void twoGatewaysOnOneNode() throws Exception {
        node = DemoHypervisor.start();
        link = new LinkFixture(dir);
        LinkFixture.Served exported = link.serve(new NodeExport(node.hypervisor(), "node-a"), "node-a");
        for (int g = 0; g < 2; g++) {
            NodeHypervisor imported = link.gateway(exported.address(), "node-a", 5000);
            GatewayHypervisor gateway = new GatewayHypervisor(100);
            List<MachineEvent> events = new CopyOnWriteArrayList<>();
            MachineListenerCollector.add(gateway, events);
            gateway.bindNode(imported, Map.of(NodeHypervisor.NODE_ID, "node-a", "endpoint.id",
                    exported.address()));
            for (int i = 0; i < 100 && gateway.machine(VM).isEmpty(); i++) {
                Thread.sleep(50);
            }
            assertTrue(gateway.machine(VM).isPresent(), "gateway " + g + " sees the node's VM");
            gateways.add(gateway);
            cimoms.add(new TestCimom()
                    .serve(new BootSettingDataProvider(gateway), "AMT_BootSettingData")
                    .serve(new EthernetPortProvider(gateway), "CIM_EthernetPort")
                    .serve(new SystemDefensePolicyProvider(gateway), "AMT_SystemDefensePolicy")
                    .serve(new NetworkFilterProvider(gateway), "AMT_IPHeadersFilter", "AMT_Hdr8021Filter",
                            "AMT_FilterEntryBase")
                    .serve(new PortPolicyProvider(gateway), "AMT_NetworkPortSystemDefensePolicy")
                    .manager());
        }
    }

    @AfterEach
    void close() throws Exception {
        for (GatewayHypervisor g : gateways) {
            g.deactivate();
        }
        link.close();
        node.close();
    }

    /** A Put that carries the one property this console changes, as text (as WS-Management hands it over). */
    private static void put(CimObjectManager cimom, String property, String value) throws Exception {
        cimom.modifyInstance(CTX, CimObjectPath.of("AMT_BootSettingData"),
                CimInstance.builder("AMT_BootSettingData").property(property, value).build());
    }

    @Test
    void bootSettingsAndDefensePoliciesFromTwoGatewaysAtOnceLoseNothing() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            // boot settings: each round, gateway 0 sets UseSOL while gateway 1 sets EnforceSecureBoot
            for (int round = 0; round < ROUNDS; round++) {
                put(cimoms.get(0), "UseSOL", "false");
                put(cimoms.get(0), "EnforceSecureBoot", "false");
                CyclicBarrier start = new CyclicBarrier(2);
                Future<?> a = pool.submit(() -> {
                    start.await();
                    put(cimoms.get(0), "UseSOL", "true");
                    return null;
                });
                Future<?> b = pool.submit(() -> {
                    start.await();
                    put(cimoms.get(1), "EnforceSecureBoot", "true");
                    return null;
                });
                a.get(30, TimeUnit.SECONDS);
                b.get(30, TimeUnit.SECONDS);
                CimInstance seen = cimoms.get(1).getInstance(CTX, CimObjectPath.of("AMT_BootSettingData"));
                assertEquals(Boolean.TRUE, seen.get("UseSOL"), "round " + round + ": gateway 0's update lost");
                assertEquals(Boolean.TRUE, seen.get("EnforceSecureBoot"), "round " + round + ": gateway 1's update lost");
            }

            // defense policies: two writers per gateway create policies at once
            CyclicBarrier start = new CyclicBarrier(4);
            List<Future<?>> writers = new ArrayList<>();
            Set<String> expected = new TreeSet<>();
            for (int w = 0; w < 4; w++) {
                CimObjectManager cimom = cimoms.get(w % 2);
                String writer = "gw" + (w % 2) + "-w" + w;
                for (int i = 0; i < POLICIES_PER_WRITER; i++) {
                    expected.add(writer + "-" + i);
                }
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < POLICIES_PER_WRITER; i++) {
                        cimom.createInstance(CTX, CimInstance.builder("AMT_SystemDefensePolicy")
                                .property("InstanceID", "0").property("PolicyName", writer + "-" + i)
                                .property("PolicyPrecedence", String.valueOf(i)).property("AntiSpoofingSupport", "0")
                                .property("TxDefaultDrop", "false").property("TxDefaultMatchEvent", "false")
                                .property("TxDefaultCount", "false").property("RxDefaultDrop", "false")
                                .property("RxDefaultMatchEvent", "false").property("RxDefaultCount", "false")
                                .build());
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS);
            }
            for (CimObjectManager cimom : cimoms) {
                List<CimInstance> policies = cimom.enumerateInstances(CTX, "AMT_SystemDefensePolicy");
                Set<String> names = new TreeSet<>();
                Set<Object> ids = new TreeSet<>();
                for (CimInstance p : policies) {
                    names.add(String.valueOf(p.get("PolicyName")));
                    ids.add(String.valueOf(p.get("InstanceID")));
                }
                assertEquals(expected, names, "every policy from both gateways is there");
                assertEquals(expected.size(), ids.size(), "each has its own handle");
            }
            // and the node's stored state says so too, at the generation of every write
            assertTrue(node.hypervisor().readState(VM, "defense", Set.of()).generation() >= expected.size());
        } finally {
            pool.shutdownNow();
        }
    }
}
