package org.vamt.provider.defense.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.model.CIM_EthernetPort;
import org.vamt.hypervisor.MachineHardware;
import org.vamt.hypervisor.MachineHardware.Nic;
import org.vamt.provider.support.AmtNames;

/**
 * The VM's NICs as AMT's Ethernet ports: NIC n of the definition is
 * "Intel(r) AMT Ethernet Port n" in the system "Intel(r) AMT", which is what consoles name when
 * they put a system defense policy on a port.
 */
final class EthernetPorts {
    static final String CLASS = CIM_EthernetPort.CLASS_NAME;
    static final String DEVICE_ID_PREFIX = "Intel(r) AMT Ethernet Port ";
    private static final Pattern DEVICE_ID = Pattern.compile(Pattern.quote(DEVICE_ID_PREFIX) + "(\\d{1,4})",
            Pattern.CASE_INSENSITIVE);
    /** OperationalStatus: 2 OK (link up), 15 Dormant (link down: the port is there but inactive). */
    static final long STATUS_OK = 2;
    static final long STATUS_DORMANT = 15;
    static final long MBIT_100 = 100_000_000L;
    static final long GBIT_1 = 1_000_000_000L;
    /** CIM_EthernetPort.PortType 52 = 100BaseT, 53 = 1000BaseT. */
    static final long PORT_100BASE_T = 52;
    static final long PORT_1000BASE_T = 53;
    private static final java.util.Set<String> FAST_ETHERNET = java.util.Set.of("rtl8139", "ne2k_pci", "pcnet", "i82551",
            "i82557b", "i82559er");

    private EthernetPorts() {
    }

    static String deviceId(int port) {
        return DEVICE_ID_PREFIX + port;
    }

    /** The EPR of port n, with the four keys AMT uses. */
    static CimObjectPath path(int port) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("SystemCreationClassName", AmtNames.COMPUTER_SYSTEM);
        keys.put("SystemName", AmtNames.AMT_SYSTEM);
        keys.put("CreationClassName", CLASS);
        keys.put("DeviceID", deviceId(port));
        return new CimObjectPath(CLASS, keys);
    }

    /**
     * The port number a client's reference names, read from its DeviceID; clients send AMT's four
     * keys, but only DeviceID tells the ports apart. Empty when it is not one of our DeviceIDs.
     */
    static OptionalInt portOf(CimObjectPath ref) {
        Object id = ref == null ? null : ref.key("DeviceID");
        Matcher m = id == null ? null : DEVICE_ID.matcher(String.valueOf(id).trim());
        return m != null && m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    /** The MAC as AMT writes it in NetworkAddresses: 12 lower-case hex digits; null when unknown. */
    static String address(String mac) {
        if (mac == null) {
            return null;
        }
        String hex = mac.replaceAll("[^0-9A-Fa-f]", "").toLowerCase(Locale.ROOT);
        return hex.length() == 12 ? hex : null;
    }

    static List<CIM_EthernetPort> of(MachineHardware hw) {
        List<CIM_EthernetPort> ports = new ArrayList<>();
        int n = 0;
        for (Nic nic : hw.nics()) {
            CIM_EthernetPort p = new CIM_EthernetPort()
                    .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                    .setSystemName(AmtNames.AMT_SYSTEM)
                    .setCreationClassName(CLASS)
                    .setDeviceID(deviceId(n))
                    .setElementName("Intel(r) AMT Ethernet Port")
                    .setEnabledState(2)
                    .setEnabledDefault(5)
                    .setRequestedState(12)
                    .setOperationalStatus(nic.linkUp() ? STATUS_OK : STATUS_DORMANT)
                    .setLinkTechnology(2)
                    // the NIC model's nominal speed, 0 while its link is down, and its media type
                    .setMaxSpeed(speed(nic))
                    .setSpeed(nic.linkUp() ? speed(nic) : 0)
                    .setPortType(speed(nic) == MBIT_100 ? PORT_100BASE_T : PORT_1000BASE_T);
            String description = describe(nic);
            if (description != null) {
                p.setDescription(description);
            }
            String address = address(nic.mac());
            if (address != null) {
                p.setNetworkAddresses(address);
            }
            ports.add(p);
            n++;
        }
        return ports;
    }

    /**
     * Bits per second of the emulated device: 100 Mb/s for the Realtek 8139 and other Fast Ethernet
     * models, 1 Gb/s for the rest (e1000, e1000e, virtio… as the guest's driver reports them).
     */
    static long speed(Nic nic) {
        String model = nic.model() == null ? "" : nic.model().toLowerCase(Locale.ROOT);
        return FAST_ETHERNET.contains(model) ? MBIT_100 : GBIT_1;
    }

    private static String describe(Nic nic) {
        if (nic.model() == null && nic.network() == null) {
            return null;
        }
        return (nic.model() == null ? "NIC" : nic.model() + " NIC")
                + (nic.network() == null ? "" : " on " + nic.network())
                + (nic.linkUp() ? "" : ", link down");
    }
}
