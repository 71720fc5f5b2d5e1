package org.vamt.remote.internal;

import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.BootDevice;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.StateEntry;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.remote.NodeHypervisor;

/**
 * The node role: this host's (libvirt) hypervisor offered to gateways as a {@link NodeHypervisor}
 * remote service over vamt.tcp, tagged with the node id. Only active with configuration
 * ({@code etc/org.vamt.remote.node.cfg}, installed by the {@code vamt-node} feature).
 */
@Component(service = NodeHypervisor.class, configurationPid = NodeExport.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = {
                "service.exported.interfaces=org.vamt.remote.NodeHypervisor",
                "service.exported.configs=" + SecureTcpProvider.CONFIG_TYPE})
@Designate(ocd = NodeExport.Config.class)
public class NodeExport implements NodeHypervisor {
    static final String PID = "org.vamt.remote.node";
    private static final Logger LOG = LoggerFactory.getLogger(NodeExport.class);

    @ObjectClassDefinition(name = "vAMT node", description = "This host as a vAMT scale-out node")
    public @interface Config {
        @AttributeDefinition(description = "The node's id, unique on the site (e.g. the host name); "
                + "part of every VM's identity at the gateways")
        String vamt_node_id();
    }

    private final Hypervisor local;
    private final String nodeId;
    /** SOL/KVM streams for gateways; absent without link TLS material. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile NodeConsoleLink consoles;

    @Activate
    public NodeExport(@Reference(target = "(!(service.imported=*))") Hypervisor local, Config config) {
        this(local, config.vamt_node_id());
    }

    NodeExport(Hypervisor local, String nodeId) {
        if (nodeId == null || !nodeId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("PID " + PID + ": vamt.node.id must be 1-64 of [A-Za-z0-9_.-], got "
                    + nodeId);
        }
        this.local = local;
        this.nodeId = nodeId;
        LOG.info("vAMT node '{}': offering this host's hypervisor to gateways", nodeId);
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public String consoleLink() {
        NodeConsoleLink link = consoles;
        return link == null ? null : link.advertised();
    }

    @Override
    public List<MachineInfo> listMachines() throws HypervisorException {
        return List.copyOf(local.listMachines());
    }

    @Override
    public Optional<MachineInfo> machine(String uuid) throws HypervisorException {
        return local.machine(uuid);
    }

    @Override
    public String definitionXml(String uuid) throws HypervisorException {
        return local.definitionXml(uuid);
    }

    @Override
    public MachineHardware hardware(String uuid) throws HypervisorException {
        return local.hardware(uuid);
    }

    @Override
    public void powerOn(String uuid) throws HypervisorException {
        local.powerOn(uuid);
    }

    @Override
    public void powerOff(String uuid) throws HypervisorException {
        local.powerOff(uuid);
    }

    @Override
    public void shutdown(String uuid) throws HypervisorException {
        local.shutdown(uuid);
    }

    @Override
    public void reboot(String uuid) throws HypervisorException {
        local.reboot(uuid);
    }

    @Override
    public void reset(String uuid) throws HypervisorException {
        local.reset(uuid);
    }

    @Override
    public void setOnlineVcpus(String uuid, int count) throws HypervisorException {
        local.setOnlineVcpus(uuid, count);
    }

    @Override
    public void injectNmi(String uuid) throws HypervisorException {
        local.injectNmi(uuid);
    }

    @Override
    public void suspend(String uuid, boolean toDisk) throws HypervisorException {
        local.suspend(uuid, toDisk);
    }

    @Override
    public void setNextBootDevice(String uuid, BootDevice device) throws HypervisorException {
        local.setNextBootDevice(uuid, device);
    }

    @Override
    public Optional<BootDevice> nextBootDevice(String uuid) throws HypervisorException {
        return local.nextBootDevice(uuid);
    }

    @Override
    public StateEntry readState(String uuid, String namespace, java.util.Set<String> legacyKeys)
            throws HypervisorException {
        return local.readState(uuid, namespace, legacyKeys);
    }

    @Override
    public long writeState(String uuid, String namespace, long expectedGeneration, String json,
                           java.util.Set<String> dropLegacyKeys) throws HypervisorException {
        return local.writeState(uuid, namespace, expectedGeneration, json, dropLegacyKeys);
    }

    @Override
    public void setNicLink(String uuid, String mac, boolean up) throws HypervisorException {
        local.setNicLink(uuid, mac, up);
    }

    @Override
    public Optional<org.vamt.hypervisor.NicAddress> nicAddress(String uuid, String mac) throws HypervisorException {
        return local.nicAddress(uuid, mac);
    }
}
