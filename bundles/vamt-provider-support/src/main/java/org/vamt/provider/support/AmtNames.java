package org.vamt.provider.support;

import java.util.LinkedHashMap;
import java.util.Map;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;

/**
 * The key values real AMT uses, verbatim: clients compare them as strings. The managed host is
 * the CIM_ComputerSystem named "ManagedSystem"; AMT's own services are scoped to the system
 * "Intel(r) AMT".
 */
public final class AmtNames {
    public static final String COMPUTER_SYSTEM = "CIM_ComputerSystem";
    public static final String MANAGED_SYSTEM = "ManagedSystem";
    public static final String AMT_SYSTEM = "Intel(r) AMT";

    private AmtNames() {
    }

    /** The EPR of the managed host. */
    public static CimObjectPath managedSystem() {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("CreationClassName", COMPUTER_SYSTEM);
        keys.put("Name", MANAGED_SYSTEM);
        return new CimObjectPath(COMPUTER_SYSTEM, keys);
    }

    /** A builder for an AMT service instance with AMT's four standard keys. */
    public static CimInstance.Builder amtService(String className, String name) {
        return CimInstance.builder(className)
                .key("CreationClassName", className)
                .key("Name", name)
                .key("SystemCreationClassName", COMPUTER_SYSTEM)
                .key("SystemName", AMT_SYSTEM);
    }
}
