package org.vamt.provider.defense.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vamt.libvirt.internal.DemoHypervisor.BUILD_SERVER;
import static org.vamt.libvirt.internal.DemoHypervisor.DESKTOP_01;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineHardware.Nic;
import org.vamt.libvirt.internal.DemoHypervisor;

/**
 * The providers on libvirt's test driver with the demo machines. build-server is shut off, so its
 * links can be changed (in its definition); its second NIC (52:54:00:a0:00:13) is link-down in the
 * demo file. desktop-01 runs, and the test driver cannot change a running machine's links.
 */
class DefenseProvidersTest {
    static final String NIC = "52:54:00:a0:00:03";
    static final String NIC_DOWN = "52:54:00:a0:00:13";
    static final String NPSDP = "AMT_NetworkPortSystemDefensePolicy";

    private DemoHypervisor demo;
    private Hypervisor hv;
    private Providers p;

    /** The four components of the bundle on one hypervisor, as DS would create them. */
    record Providers(EthernetPortProvider ports, SystemDefensePolicyProvider policies, NetworkFilterProvider filters,
                     PortPolicyProvider links) {
        static Providers on(Hypervisor hv) {
            return new Providers(new EthernetPortProvider(hv), new SystemDefensePolicyProvider(hv),
                    new NetworkFilterProvider(hv), new PortPolicyProvider(hv));
        }
    }

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        hv = demo.hypervisor();
        p = Providers.on(hv);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    static RequestContext ctx(String uuid) {
        return new RequestContext(uuid, uuid.equals(BUILD_SERVER) ? "build-server" : "desktop-01", "admin",
                "Digest:0123456789ABCDEF0123456789ABCDEF");
    }

    /** A policy as MeshCommander creates it: a dummy InstanceID 0 and every flag. */
    static CimInstance policy(String name, long precedence, boolean txDrop, boolean rxDrop, long... filters) {
        List<Long> handles = new ArrayList<>();
        for (long f : filters) {
            handles.add(f);
        }
        return CimInstance.builder("AMT_SystemDefensePolicy")
                .property("InstanceID", "0")
                .property("PolicyName", name)
                .property("PolicyPrecedence", precedence)
                .property("AntiSpoofingSupport", 0L)
                .property("FilterCreationHandles", handles)
                .property("TxDefaultDrop", txDrop)
                .property("TxDefaultMatchEvent", false)
                .property("TxDefaultCount", true)
                .property("RxDefaultDrop", rxDrop)
                .property("RxDefaultMatchEvent", false)
                .property("RxDefaultCount", true)
                .build();
    }

    static CimInstance ipFilter(String name, long profile) {
        return CimInstance.builder("AMT_IPHeadersFilter")
                .property("InstanceID", "0")
                .property("Name", name)
                .property("HdrIPVersion", 4L)
                .property("HdrDestAddress", "C0A80001")
                .property("HdrProtocolID", 6L)
                .property("HdrDestPortStart", 443L)
                .property("HdrDestPortEnd", 443L)
                .property("FilterProfile", profile)
                .property("FilterDirection", 0L)
                .property("ActionEventOnMatch", false)
                .build();
    }

    /** The port EPR as consoles send it: AMT's four keys. */
    static CimObjectPath port(int n) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("CreationClassName", "CIM_EthernetPort");
        keys.put("DeviceID", "Intel(r) AMT Ethernet Port " + n);
        keys.put("SystemCreationClassName", "CIM_ComputerSystem");
        keys.put("SystemName", "Intel(r) AMT");
        return new CimObjectPath("CIM_EthernetPort", keys);
    }

    static CimInstance link(int port, CimObjectPath policy) {
        return CimInstance.builder(NPSDP).property("Antecedent", port(port)).property("Dependent", policy).build();
    }

    private boolean linkUp(String uuid, String mac) throws Exception {
        return nics(uuid).stream().filter(n -> n.mac().equals(mac)).findFirst().orElseThrow().linkUp();
    }

    private List<Nic> nics(String uuid) throws Exception {
        return hv.hardware(uuid).nics();
    }

    private static CimException fails(Executable e) {
        return assertThrows(CimException.class, e);
    }

    private List<CimInstance> links(String uuid) throws CimException {
        return p.links().enumerateInstances(ctx(uuid), NPSDP);
    }

    private CimObjectPath dropAll(String uuid) throws CimException {
        return p.policies().createInstance(ctx(uuid), policy("Isolate", 100, true, true));
    }

    // ---------------------------------------------------------------- ports

    @Test
    void oneEthernetPortPerNic() throws Exception {
        List<CimInstance> ports = p.ports().enumerateInstances(ctx(BUILD_SERVER), "CIM_EthernetPort");
        assertEquals(2, ports.size());
        CimInstance first = ports.get(0);
        assertEquals("Intel(r) AMT Ethernet Port 0", first.get("DeviceID"));
        assertEquals(List.of("SystemCreationClassName", "SystemName", "CreationClassName", "DeviceID"),
                List.copyOf(first.keyNames()));
        assertEquals(port(0), first.path());
        assertEquals("Intel(r) AMT", first.get("SystemName"));
        assertEquals(List.of("525400a00003"), first.get("NetworkAddresses"));
        assertNull(first.get("PermanentAddress"), "AMT does not return it");
        assertNull(first.get("PortNumber"), "AMT does not return it");
        assertEquals(1_000_000_000L, first.get("Speed"), "virtio: 1 Gb/s");
        assertEquals(1_000_000_000L, first.get("MaxSpeed"));
        assertEquals(53L, first.get("PortType"), "1000BaseT");
        assertEquals(List.of(2L), first.get("OperationalStatus"));
        assertEquals(2L, first.get("LinkTechnology"));
        assertEquals("Intel(r) AMT Ethernet Port 1", ports.get(1).get("DeviceID"));
        assertEquals(List.of("525400a00013"), ports.get(1).get("NetworkAddresses"));
        assertEquals(0L, ports.get(1).get("Speed"), "link down");
        assertEquals(1_000_000_000L, ports.get(1).get("MaxSpeed"));
        assertEquals(List.of(15L), ports.get(1).get("OperationalStatus"), "link down: dormant");
        assertEquals(1, p.ports().enumerateInstances(ctx(DESKTOP_01), "CIM_EthernetPort").size());
    }

    // ---------------------------------------------------------------- isolation

    @Test
    void dropAllPolicyOnAPortIsolatesTheVmAndTakingItOffRestoresExactlyTheLinksThatWereUp() throws Exception {
        assertTrue(linkUp(BUILD_SERVER, NIC));
        assertFalse(linkUp(BUILD_SERVER, NIC_DOWN));
        CimObjectPath policy = dropAll(BUILD_SERVER);
        assertEquals(CimObjectPath.of("AMT_SystemDefensePolicy", "InstanceID", "Intel(r) AMT:Handle:1"), policy,
                "the dummy InstanceID 0 is replaced");
        assertTrue(linkUp(BUILD_SERVER, NIC), "creating a policy changes nothing");

        CimObjectPath created = p.links().createInstance(ctx(BUILD_SERVER), link(0, policy));
        assertEquals(port(0), created.key("Antecedent"));
        assertEquals(policy, created.key("Dependent"));
        assertTrue(nics(BUILD_SERVER).stream().noneMatch(Nic::linkUp), "every NIC down: " + nics(BUILD_SERVER));

        List<CimInstance> links = links(BUILD_SERVER);
        assertEquals(1, links.size());
        CimInstance l = links.get(0);
        assertEquals(created, l.path());
        assertEquals(Boolean.TRUE, l.get("Active"));
        assertEquals(Boolean.TRUE, l.get("Enabled"));
        assertTrue(stored(BUILD_SERVER).orElseThrow()
                .contains("\"isolatedLinks\":{\"525400a00003\":true,\"525400a00013\":false}"));

        p.links().deleteInstance(ctx(BUILD_SERVER), l);
        assertTrue(linkUp(BUILD_SERVER, NIC), "restored");
        assertFalse(linkUp(BUILD_SERVER, NIC_DOWN), "was down before, stays down");
        assertTrue(links(BUILD_SERVER).isEmpty());
        assertFalse(stored(BUILD_SERVER).orElseThrow().contains("isolatedLinks"));
        assertEquals(1, p.policies().enumerateInstances(ctx(BUILD_SERVER), "AMT_SystemDefensePolicy").size());
    }

    @Test
    void stateSurvivesANewProviderInstance() throws Exception {
        CimObjectPath policy = dropAll(BUILD_SERVER);
        p.links().createInstance(ctx(BUILD_SERVER), link(0, policy));

        Providers again = Providers.on(hv);
        List<CimInstance> policies = again.policies().enumerateInstances(ctx(BUILD_SERVER), "AMT_SystemDefensePolicy");
        assertEquals(1, policies.size());
        CimInstance stored = policies.get(0);
        assertEquals("Intel(r) AMT:Handle:1", stored.get("InstanceID"));
        assertEquals("Isolate", stored.get("PolicyName"));
        assertEquals(100L, stored.get("PolicyPrecedence"));
        assertEquals(Boolean.TRUE, stored.get("TxDefaultDrop"));
        assertEquals(Boolean.TRUE, stored.get("RxDefaultCount"));
        assertEquals(List.of(), stored.get("FilterCreationHandles"));
        List<CimInstance> links = again.links().enumerateInstances(ctx(BUILD_SERVER), NPSDP);
        assertEquals(links(BUILD_SERVER), links);

        again.links().deleteInstance(ctx(BUILD_SERVER), links.get(0));
        assertTrue(linkUp(BUILD_SERVER, NIC));
        assertFalse(linkUp(BUILD_SERVER, NIC_DOWN));
        assertEquals(CimObjectPath.of("AMT_SystemDefensePolicy", "InstanceID", "Intel(r) AMT:Handle:2"),
                again.policies().createInstance(ctx(BUILD_SERVER), policy("next", 1, false, false)),
                "handles continue where they were");
    }

    @Test
    void deletingAnActivePolicyIsRefused() throws Exception {
        CimObjectPath policy = dropAll(BUILD_SERVER);
        p.links().createInstance(ctx(BUILD_SERVER), link(0, policy));
        CimInstance stored = p.policies().enumerateInstances(ctx(BUILD_SERVER), "AMT_SystemDefensePolicy").get(0);
        CimException e = fails(() -> p.policies().deleteInstance(ctx(BUILD_SERVER), stored));
        assertEquals(CimStatus.FAILED, e.status());
        assertTrue(e.getMessage().contains("in use"), e.getMessage());
        assertEquals(1, p.policies().enumerateInstances(ctx(BUILD_SERVER), "AMT_SystemDefensePolicy").size());
        assertFalse(linkUp(BUILD_SERVER, NIC), "still isolated");

        p.links().deleteInstance(ctx(BUILD_SERVER), links(BUILD_SERVER).get(0));
        p.policies().deleteInstance(ctx(BUILD_SERVER), stored);
        assertTrue(p.policies().enumerateInstances(ctx(BUILD_SERVER), "AMT_SystemDefensePolicy").isEmpty());
        assertEquals(Optional.empty(), stored(BUILD_SERVER), "nothing left to keep");
        assertEquals(CimStatus.NOT_FOUND, fails(() -> p.policies().deleteInstance(ctx(BUILD_SERVER), stored)).status());
    }

    @Test
    void nonIsolatingPoliciesChangeNoLinks() throws Exception {
        CimObjectPath txOnly = p.policies().createInstance(ctx(BUILD_SERVER), policy("tx only", 5, true, false));
        p.links().createInstance(ctx(BUILD_SERVER), link(0, txOnly));
        assertTrue(linkUp(BUILD_SERVER, NIC));
        assertFalse(linkUp(BUILD_SERVER, NIC_DOWN));
        assertEquals(Boolean.TRUE, links(BUILD_SERVER).get(0).get("Active"), "stored and reported as active");

        long pass = handle(p.filters().createInstance(ctx(BUILD_SERVER), ipFilter("https", 3)));
        CimObjectPath dropAllButHttps = p.policies().createInstance(ctx(BUILD_SERVER),
                policy("all but https", 50, true, true, pass));
        p.links().createInstance(ctx(BUILD_SERVER), link(1, dropAllButHttps));
        assertTrue(linkUp(BUILD_SERVER, NIC), "a passing filter: not isolating");
        assertFalse(linkUp(BUILD_SERVER, NIC_DOWN));
        assertEquals(2, links(BUILD_SERVER).size());
        assertFalse(stored(BUILD_SERVER).orElseThrow().contains("isolatedLinks"));
    }

    @Test
    void aDropFilterStillIsolatesAndTheHighestPrecedenceDecides() throws Exception {
        long drop = handle(p.filters().createInstance(ctx(BUILD_SERVER), ipFilter("drop https", 4)));
        CimObjectPath isolate = p.policies().createInstance(ctx(BUILD_SERVER), policy("isolate", 10, true, true, drop));
        CimObjectPath open = p.policies().createInstance(ctx(BUILD_SERVER), policy("open", 20, false, false));
        p.links().createInstance(ctx(BUILD_SERVER), link(0, isolate));
        assertFalse(linkUp(BUILD_SERVER, NIC), "a dropping filter lets nothing through");

        p.links().createInstance(ctx(BUILD_SERVER), link(0, open));
        assertTrue(linkUp(BUILD_SERVER, NIC), "the higher precedence policy is active and does not isolate");
        assertFalse(linkUp(BUILD_SERVER, NIC_DOWN));
        Map<Object, Object> active = new LinkedHashMap<>();
        links(BUILD_SERVER).forEach(l -> active.put(((CimObjectPath) l.get("Dependent")).key("InstanceID"),
                l.get("Active")));
        assertEquals(Map.of(isolate.key("InstanceID"), false, open.key("InstanceID"), true), active);

        p.links().deleteInstance(ctx(BUILD_SERVER), find(open));
        assertFalse(linkUp(BUILD_SERVER, NIC), "isolating again");
        p.links().deleteInstance(ctx(BUILD_SERVER), find(isolate));
        assertTrue(linkUp(BUILD_SERVER, NIC));
        assertFalse(linkUp(BUILD_SERVER, NIC_DOWN));
    }

    @Test
    void isolationFailsCleanlyWhereTheHypervisorCannotChangeLinks() throws Exception {
        // the test driver cannot change a running machine's links (it would only change the definition)
        CimObjectPath policy = dropAll(DESKTOP_01);
        CimException e = fails(() -> p.links().createInstance(ctx(DESKTOP_01), link(0, policy)));
        assertEquals(CimStatus.NOT_SUPPORTED, e.status());
        assertTrue(e.getMessage().contains("link state"), e.getMessage());
        assertTrue(links(DESKTOP_01).isEmpty(), "nothing stored");
        assertTrue(linkUp(DESKTOP_01, "52:54:00:a0:00:01"));
        assertFalse(demo.persistentXml(DESKTOP_01).contains("<link state='down'/>"), "definition put back");
        assertFalse(stored(DESKTOP_01).orElseThrow().contains("isolatedLinks"));

        // a policy that does not isolate needs no link change
        CimObjectPath open = p.policies().createInstance(ctx(DESKTOP_01), policy("open", 1, false, false));
        p.links().createInstance(ctx(DESKTOP_01), link(0, open));
        assertEquals(1, links(DESKTOP_01).size());
    }

    // ---------------------------------------------------------------- validation and filters

    @Test
    void associationCreateAndDeleteAreChecked() throws Exception {
        CimObjectPath policy = p.policies().createInstance(ctx(BUILD_SERVER), policy("open", 1, false, false));
        assertEquals(CimStatus.INVALID_PARAMETER, fails(() -> p.links().createInstance(ctx(BUILD_SERVER),
                link(2, policy))).status(), "build-server has ports 0 and 1");
        assertEquals(CimStatus.INVALID_PARAMETER, fails(() -> p.links().createInstance(ctx(BUILD_SERVER),
                link(0, CimObjectPath.of("AMT_SystemDefensePolicy", "InstanceID", "Intel(r) AMT:Handle:9")))).status());
        assertEquals(CimStatus.INVALID_PARAMETER, fails(() -> p.links().createInstance(ctx(BUILD_SERVER),
                CimInstance.builder(NPSDP).property("Dependent", policy).build())).status());
        p.links().createInstance(ctx(BUILD_SERVER), link(1, policy));
        assertEquals(CimStatus.ALREADY_EXISTS, fails(() -> p.links().createInstance(ctx(BUILD_SERVER),
                link(1, policy))).status());

        // found by DeviceID and InstanceID however many keys the EPRs carry
        CimObjectPath shortEpr = new CimObjectPath(NPSDP, Map.of(
                "Antecedent", CimObjectPath.of("CIM_EthernetPort", "DeviceID", "Intel(r) AMT Ethernet Port 1"),
                "Dependent", policy));
        CimInstance found = p.links().getInstance(ctx(BUILD_SERVER), shortEpr);
        assertEquals(port(1), found.get("Antecedent"));
        CimObjectPath otherPort = new CimObjectPath(NPSDP, Map.of("Antecedent", port(0), "Dependent", policy));
        assertEquals(CimStatus.NOT_FOUND, fails(() -> p.links().getInstance(ctx(BUILD_SERVER), otherPort)).status());
        assertEquals(CimStatus.NOT_FOUND, fails(() -> p.links().deleteInstance(ctx(BUILD_SERVER),
                link(0, policy))).status());
        p.links().deleteInstance(ctx(BUILD_SERVER), found);
        assertTrue(links(BUILD_SERVER).isEmpty());
    }

    @Test
    void policiesNeedTheirRequiredPropertiesAndExistingFilters() throws Exception {
        CimInstance noFlags = CimInstance.builder("AMT_SystemDefensePolicy").property("PolicyName", "x")
                .property("PolicyPrecedence", 1L).build();
        assertEquals(CimStatus.INVALID_PARAMETER, fails(() -> p.policies().createInstance(ctx(BUILD_SERVER),
                noFlags)).status());
        CimException unknownFilter = fails(() -> p.policies().createInstance(ctx(BUILD_SERVER),
                policy("x", 1, true, true, 42)));
        assertEquals(CimStatus.INVALID_PARAMETER, unknownFilter.status());
        assertTrue(unknownFilter.getMessage().contains("42"), unknownFilter.getMessage());
        CimObjectPath policy = p.policies().createInstance(ctx(BUILD_SERVER), policy("x", 1, true, true));
        assertEquals(CimStatus.INVALID_PARAMETER, fails(() -> p.policies().createInstance(ctx(BUILD_SERVER),
                policy("y", 1, true, true, DefenseState.handleOf(policy.key("InstanceID")).getAsLong()))).status(),
                "a policy is not a filter");
        assertEquals(Optional.empty(), stored(DESKTOP_01), "other VMs untouched");
    }

    @Test
    void filtersAreCreatedListedAndDeletedWhenNotInUse() throws Exception {
        CimObjectPath ip = p.filters().createInstance(ctx(BUILD_SERVER), ipFilter("https", 3));
        assertEquals("Intel(r) AMT:Handle:1", ip.key("InstanceID"));
        assertEquals("https", ip.key("Name"));
        assertEquals("AMT_IPHeadersFilter", ip.key("CreationClassName"));
        assertEquals("Intel(r) AMT", ip.key("SystemName"));
        CimObjectPath arp = p.filters().createInstance(ctx(BUILD_SERVER), CimInstance.builder("AMT_Hdr8021Filter")
                .property("HdrProtocolID8021", 2054L).property("FilterProfile", 4L).property("FilterDirection", 1L)
                .property("ActionEventOnMatch", true).build());
        assertEquals("Intel(r) AMT Filter 2", arp.key("Name"), "a name when the client gave none");

        List<CimInstance> ipFilters = p.filters().enumerateInstances(ctx(BUILD_SERVER), "AMT_IPHeadersFilter");
        assertEquals(1, ipFilters.size());
        CimInstance f = ipFilters.get(0);
        assertEquals(ip, f.path());
        assertEquals(443L, f.get("HdrDestPortStart"));
        assertEquals("C0A80001", f.get("HdrDestAddress"));
        assertEquals(2, p.filters().enumerateInstances(ctx(BUILD_SERVER), "AMT_FilterEntryBase").size());
        assertEquals(List.of(arp), p.filters().enumerateInstances(ctx(BUILD_SERVER), "AMT_Hdr8021Filter").stream()
                .map(CimInstance::path).toList());
        assertTrue(p.filters().enumerateInstances(ctx(BUILD_SERVER), "AMT_NetworkFilter").isEmpty());

        assertEquals(CimStatus.INVALID_PARAMETER, fails(() -> p.filters().createInstance(ctx(BUILD_SERVER),
                ipFilter("bad", 7))).status());
        assertEquals(CimStatus.NOT_SUPPORTED, fails(() -> p.filters().createInstance(ctx(BUILD_SERVER),
                CimInstance.builder("AMT_NetworkFilter").build())).status());

        CimObjectPath policy = p.policies().createInstance(ctx(BUILD_SERVER), policy("web", 1, true, true, 1));
        CimException inUse = fails(() -> p.filters().deleteInstance(ctx(BUILD_SERVER), f));
        assertEquals(CimStatus.FAILED, inUse.status());
        assertTrue(inUse.getMessage().contains("in use"), inUse.getMessage());
        assertEquals(List.of(1L), p.policies().enumerateInstances(ctx(BUILD_SERVER), "AMT_SystemDefensePolicy").get(0)
                .get("FilterCreationHandles"));
        p.policies().deleteInstance(ctx(BUILD_SERVER), CimInstance.builder("AMT_SystemDefensePolicy")
                .key("InstanceID", policy.key("InstanceID")).build());
        p.filters().deleteInstance(ctx(BUILD_SERVER), f);
        assertEquals(List.of(arp), p.filters().enumerateInstances(ctx(BUILD_SERVER), "AMT_ComplexFilterEntryBase")
                .stream().map(CimInstance::path).toList());
    }

    private static long handle(CimObjectPath path) {
        return DefenseState.handleOf(path.key("InstanceID")).getAsLong();
    }

    private CimInstance find(CimObjectPath policy) throws CimException {
        return links(BUILD_SERVER).stream().filter(l -> policy.equals(l.get("Dependent"))).findFirst().orElseThrow();
    }

    /** The defense namespace's JSON as stored with the VM. */
    private Optional<String> stored(String uuid) throws Exception {
        return Optional.ofNullable(hv.readState(uuid, "defense", java.util.Set.of()).json());
    }

    @Test
    void anOldFormatIsolatedVmIsMigratedAndCanBeLiftedAgain() throws Exception {
        // as vAMT before typed state left an isolated VM: a drop-all policy on port 0, links saved
        hv.setNicLink(BUILD_SERVER, "52:54:00:a0:00:03", false);
        demo.putLegacy(BUILD_SERVER, org.vamt.provider.defense.DefenseSettings.LEGACY_KEY, "next=2\n"
                + "obj.1=AMT_SystemDefensePolicy\nobj.1.PolicyName=s old policy\nobj.1.TxDefaultDrop=b true\n"
                + "obj.1.RxDefaultDrop=b true\nobj.1.PolicyPrecedence=i 0\nlink.0=0 1 true\n"
                + "isolated=525400a00003 up,525400a00013 down\n");
        assertEquals(1, p.policies().enumerateInstances(ctx(BUILD_SERVER), "AMT_SystemDefensePolicy").size());
        String json = stored(BUILD_SERVER).orElseThrow();
        assertTrue(json.contains("\"className\":\"AMT_SystemDefensePolicy\""), json);
        assertTrue(json.contains("\"isolatedLinks\":{\"525400a00003\":true,\"525400a00013\":false}"), json);
        assertFalse(hv.definitionXml(BUILD_SERVER).contains(org.vamt.provider.defense.DefenseSettings.LEGACY_KEY));
        assertTrue(new org.vamt.hypervisor.state.StateStore<>(hv, org.vamt.provider.defense.DefenseSettings.STATE)
                .get(BUILD_SERVER).isolated());
        // and the migrated policy link can be taken off: exactly the link that was up comes back
        p.links().deleteInstance(ctx(BUILD_SERVER), links(BUILD_SERVER).get(0));
        assertTrue(linkUp(BUILD_SERVER, NIC));
        assertFalse(linkUp(BUILD_SERVER, NIC_DOWN));
    }
}
