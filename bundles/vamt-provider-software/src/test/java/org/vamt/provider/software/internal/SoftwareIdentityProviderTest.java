package org.vamt.provider.software.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
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

    @Test
    void getFindsAnInstanceByItsInstanceIdAndNotFoundOtherwise() throws Exception {
        SoftwareIdentityProvider p = new SoftwareIdentityProvider();
        RequestContext ctx = new RequestContext("u", "vm", "admin", "Digest:X");
        List<CimInstance> all = p.enumerateInstances(ctx, "CIM_SoftwareIdentity");
        for (CimInstance i : all) {
            assertEquals(i.toString(), p.getInstance(ctx, new CimObjectPath("CIM_SoftwareIdentity",
                    Map.of("InstanceID", i.get("InstanceID")))).toString());
        }
        CimException e = assertThrows(CimException.class, () -> p.getInstance(ctx,
                new CimObjectPath("CIM_SoftwareIdentity", Map.of("InstanceID", "amt"))));
        assertEquals(CimStatus.NOT_FOUND, e.status(), "InstanceID is matched exactly");
    }

    private static CimInstance find(List<CimInstance> all, String id) {
        return all.stream().filter(i -> id.equals(i.get("InstanceID"))).findFirst().orElseThrow();
    }
}
