package org.vamt.provider.boot.internal;

import java.util.Locale;
import java.util.Optional;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.model.CIM_BootConfigSetting;
import org.vamt.cim.model.CIM_BootSourceSetting;
import org.vamt.hypervisor.BootDevice;

/** The names real AMT gives its boot objects, verbatim: clients send them back as selectors. */
final class BootNames {
    static final String SETTING_DATA_ID = "Intel(r) AMT:BootSettingData 0";
    static final String SETTING_DATA_NAME = "Intel(r) AMT Boot Configuration Settings";
    static final String OWNING_ENTITY = "Intel(r) AMT";

    static final String CAPABILITIES_ID = "Intel(r) AMT:BootCapabilities 0";
    static final String CAPABILITIES_NAME = "Intel(r) AMT: Boot Capabilities";

    static final String CONFIG_ID = "Intel(r) AMT: Boot Configuration 0";
    static final String CONFIG_NAME = "Intel(r) AMT: Boot Configuration";

    static final String SERVICE_NAME = "Intel(r) AMT Boot Service";

    static final String SOURCE_NAME = "Intel(r) AMT: Boot Source";
    /** Every AMT boot source is named like this; the ones vAMT does not list are AMT's but unsupported. */
    static final String SOURCE_PREFIX = "Intel(r) AMT: Force ";

    private BootNames() {
    }

    /** The boot sources vAMT offers, in the order real AMT lists them, with the device each forces. */
    enum Source {
        HARD_DRIVE("Intel(r) AMT: Force Hard-drive Boot", "CIM:Hard-Disk:1", BootDevice.HARD_DISK),
        PXE("Intel(r) AMT: Force PXE Boot", "CIM:Network:1", BootDevice.NETWORK),
        CD_DVD("Intel(r) AMT: Force CD/DVD Boot", "CIM:CD/DVD:1", BootDevice.CDROM);

        final String instanceId;
        final String structuredBootString;
        final BootDevice device;

        Source(String instanceId, String structuredBootString, BootDevice device) {
            this.instanceId = instanceId;
            this.structuredBootString = structuredBootString;
            this.device = device;
        }

        static Optional<Source> byInstanceId(String id) {
            for (Source s : values()) {
                if (s.instanceId.equals(id)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }

        static Optional<Source> byDevice(BootDevice device) {
            for (Source s : values()) {
                if (s.device == device) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** Whether {@code ref} names an instance of {@code className} (a key-less reference names the singleton). */
    static boolean names(CimObjectPath ref, String className, String instanceId) {
        if (ref == null || !className.toLowerCase(Locale.ROOT).equals(ref.className().toLowerCase(Locale.ROOT))) {
            return false;
        }
        Object id = ref.key("InstanceID");
        return ref.keys().isEmpty() || instanceId.equals(id);
    }

    static boolean isBootConfig(CimObjectPath ref) {
        return names(ref, CIM_BootConfigSetting.CLASS_NAME, CONFIG_ID);
    }

    /** The InstanceID a CIM_BootSourceSetting reference carries, or null when it is not one. */
    static String sourceId(CimObjectPath ref) {
        if (ref == null || !CIM_BootSourceSetting.CLASS_NAME.equalsIgnoreCase(ref.className())) {
            return null;
        }
        Object id = ref.key("InstanceID");
        return id instanceof String s ? s : null;
    }
}
