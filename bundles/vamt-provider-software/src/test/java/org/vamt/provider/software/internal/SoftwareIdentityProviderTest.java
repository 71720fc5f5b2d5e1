package org.vamt.provider.software.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimInstance;
import org.vamt.cim.VamtProduct;
import org.vamt.cim.spi.RequestContext;

class SoftwareIdentityProviderTest {
    @Test
    void amtInstanceCarriesTheThreePartVersionAndBuildNumberTheFourth() throws Exception {
        List<CimInstance> all = new SoftwareIdentityProvider().enumerateInstances(
                new RequestContext("u", "vm", "admin", "Digest:X"), "CIM_SoftwareIdentity");
        String[] v = VamtProduct.amtVersion().split("\\.");
        assertEquals(v[0] + "." + v[1] + "." + v[2], find(all, "AMT").get("VersionString"));
        assertEquals(v[3], find(all, "Build Number").get("VersionString"));
        assertEquals(List.of("Flash", "Netstack", "AMTApps", "AMT", "Sku", "VendorID", "Build Number",
                "Recovery Version", "Recovery Build Num", "Legacy Mode", "AMT FW Core Version"),
                all.stream().map(i -> i.get("InstanceID")).toList(), "AMT's 11 instances, no vAMT one");
        assertEquals(Boolean.TRUE, find(all, "AMT").get("IsEntity"));
    }

    private static CimInstance find(List<CimInstance> all, String id) {
        return all.stream().filter(i -> id.equals(i.get("InstanceID"))).findFirst().orElseThrow();
    }
}
