package org.vamt.libvirt.internal;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineListener;

/**
 * Test helper: a real {@link LibvirtHypervisor} on libvirt's test driver, loaded with the demo
 * machines of the Karaf assembly. It lives in the hypervisor's package because activate,
 * deactivate and the listener binding are package-private (OSGi DS methods).
 * Every instance opens a new test-driver connection, which re-reads the file: state is fresh.
 */
public final class DemoHypervisor implements AutoCloseable {
    public static final String DESKTOP_01 = "6f8c1a52-4b1e-4d6a-9a01-000000000001";   // running, 2/4 vCPUs
    public static final String DESKTOP_02 = "6f8c1a52-4b1e-4d6a-9a01-000000000002";   // running, 1/2
    public static final String BUILD_SERVER = "6f8c1a52-4b1e-4d6a-9a01-000000000003"; // shut off, 4/8
    public static final String KIOSK = "6f8c1a52-4b1e-4d6a-9a01-000000000004";        // running, 1/1
    public static final String UNKNOWN = "0badc0de-0000-4000-8000-000000000000";

    private final LibvirtHypervisor hv = new LibvirtHypervisor();
    private final BlockingQueue<MachineEvent> events = new LinkedBlockingQueue<>();

    private DemoHypervisor() {
    }

    /** The demo file, relative to the module directory. */
    public static Path demoFile() {
        Path file = Paths.get(System.getProperty("basedir", "."))
                .resolve("../../features/src/main/cfg/vamt-demo-vms.xml")
                .toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("demo file not found: " + file);
        }
        return file;
    }

    public static DemoHypervisor start() throws Exception {
        DemoHypervisor d = new DemoHypervisor();
        d.hv.addMachineListener(d.events::add);
        d.hv.activate(config("test://" + demoFile()));
        return d;
    }

    public Hypervisor hypervisor() {
        return hv;
    }

    /** Online vCPUs straight from libvirt: live ({@code live}) or persistent definition. */
    public int vcpus(String uuid, boolean live) throws HypervisorException {
        int flags = live ? NativeVirt.AFFECT_LIVE : NativeVirt.AFFECT_CONFIG;
        return hv.connection().call("test", uuid, c -> NativeVirt.vcpus(c, uuid, flags));
    }

    /**
     * The machine's persistent definition straight from libvirt ({@code VIR_DOMAIN_XML_INACTIVE|SECURE}),
     * e.g. to check that a one-time boot order was undone; {@link Hypervisor#definitionXml} shows the
     * live one while the machine runs.
     */
    public String persistentXml(String uuid) throws HypervisorException {
        return hv.connection().call("test", uuid, c -> {
            org.libvirt.Domain d = c.domainLookupByUUIDString(uuid);
            try {
                return d.getXMLDesc(LibvirtHypervisor.XML_INACTIVE_SECURE);
            } finally {
                d.free();
            }
        });
    }

    /**
     * Writes an entry of the old untyped metadata form ({@code <vamt:entry key=…>}), as vAMT before
     * typed per-VM state did, so migration can be tested on a real definition.
     */
    public void putLegacy(String uuid, String key, String value) throws HypervisorException {
        hv.connection().call("putLegacy", uuid, c -> {
            org.libvirt.Domain d = c.domainLookupByUUIDString(uuid);
            try {
                DomainMetadata.Contents all = DomainMetadata.read(d);
                all.legacy.put(key, value);
                DomainMetadata.write(d, all);
                return null;
            } finally {
                d.free();
            }
        });
    }

    /** Binds a whiteboard {@link MachineListener} as Declarative Services would. */
    public void addMachineListener(MachineListener listener) {
        hv.addMachineListener(listener);
    }

    /**
     * Changes only the vCPU count of the persistent definition (virDomainSetVcpusFlags CONFIG), as
     * vAMT does for a vCPU unplug QEMU cannot do live under TCG: the running machine keeps its vCPUs.
     */
    public void setNextStartVcpus(String uuid, int count) throws HypervisorException {
        hv.connection().call("setNextStartVcpus", uuid, c -> {
            org.libvirt.Domain d = c.domainLookupByUUIDString(uuid);
            try {
                d.setVcpusFlags(count, NativeVirt.AFFECT_CONFIG);
            } finally {
                d.free();
            }
            return null;
        });
    }

    /** Defines a machine from domain XML (virDomainDefineXML): libvirt sends DEFINED to the listeners. */
    public void define(String domainXml) throws HypervisorException {
        hv.connection().call("define", "new", c -> {
            c.domainDefineXML(domainXml).free();
            return null;
        });
    }

    /** Removes a shut-off machine's definition (virDomainUndefine): libvirt sends UNDEFINED. */
    public void undefine(String uuid) throws HypervisorException {
        hv.connection().call("undefine", uuid, c -> {
            org.libvirt.Domain d = c.domainLookupByUUIDString(uuid);
            try {
                d.undefine();
            } finally {
                d.free();
            }
            return null;
        });
    }

    /** Pauses a running machine (virDomainSuspend), which the Hypervisor SPI does not do. */
    public void pause(String uuid) throws HypervisorException {
        hv.connection().call("pause", uuid, c -> {
            org.libvirt.Domain d = c.domainLookupByUUIDString(uuid);
            try {
                d.suspend();
            } finally {
                d.free();
            }
            return null;
        });
    }

    /** Waits up to 5 s for events of these types for {@code uuid}, in this order; null when one is missing. */
    public List<MachineEvent.Type> awaitEvents(String uuid, MachineEvent.Type... types) throws InterruptedException {
        List<MachineEvent.Type> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int next = 0;
        while (next < types.length) {
            long left = deadline - System.nanoTime();
            MachineEvent e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                return seen;
            }
            if (e.uuid().equals(uuid)) {
                seen.add(e.type());
                if (e.type() == types[next]) {
                    next++;
                }
            }
        }
        return List.of(types);
    }

    @Override
    public void close() {
        hv.deactivate();
    }

    private static LibvirtHypervisor.Config config(String uri) {
        return (LibvirtHypervisor.Config) Proxy.newProxyInstance(DemoHypervisor.class.getClassLoader(),
                new Class<?>[] {LibvirtHypervisor.Config.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "uri": return uri;
                        case "annotationType": return LibvirtHypervisor.Config.class;
                        case "toString": return "Config[uri=" + uri + "]";
                        case "hashCode": return System.identityHashCode(proxy);
                        case "equals": return proxy == args[0];
                        default: break;
                    }
                    if (method.getDefaultValue() != null) {
                        return method.getDefaultValue();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
