package org.vamt.provider.software.internal;

import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.model.CIM_SoftwareIdentity;
import org.vamt.cim.model.CIM_SoftwareIdentityProviderSkeleton;
import org.vamt.cim.VamtProduct;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;

/**
 * CIM_SoftwareIdentity as AMT firmware reports it. Consoles read the AMT version from the
 * instance "AMT" (MeshCommander, Intel's toolkit); it must agree with the Server header and
 * Identify, so all come from {@link VamtProduct#amtVersion()}. The 11 instances AMT has, no more:
 * consoles count and list them, so vAMT's own version is told to the operator instead
 * ({@code vamt:provider-list}). Get by the key, InstanceID (the paper's Get: no search of the
 * enumeration by the CIMOM, no NOT_SUPPORTED thrown first).
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_SoftwareIdentity",
    CimProvider.REALM_PREFIX + "CIM_SoftwareIdentity=*"})
public class SoftwareIdentityProvider extends CIM_SoftwareIdentityProviderSkeleton {

    @Override
    protected List<CIM_SoftwareIdentity> enumerate(RequestContext ctx) {
        String[] v = VamtProduct.amtVersion().split("\\.");
        String threePart = v[0] + "." + v[1] + "." + v[2];
        List<CIM_SoftwareIdentity> list = new ArrayList<>();
        list.add(identity("Flash", threePart));
        list.add(identity("Netstack", threePart));
        list.add(identity("AMTApps", threePart));
        list.add(identity("AMT", threePart));
        list.add(identity("Sku", "16392"));
        list.add(identity("VendorID", "8086"));
        list.add(identity("Build Number", v[3]));
        list.add(identity("Recovery Version", threePart));
        list.add(identity("Recovery Build Num", v[3]));
        list.add(identity("Legacy Mode", "False"));
        list.add(identity("AMT FW Core Version", threePart));
        return list;
    }

    @Override
    public CimInstance getInstance(RequestContext ctx, CimObjectPath path) throws CimException {
        Object id = path.key("InstanceID");
        for (CIM_SoftwareIdentity i : enumerate(ctx)) {
            if (i.getInstanceID().equals(id)) {
                return i.toInstance();
            }
        }
        throw new CimException(CimStatus.NOT_FOUND, "no CIM_SoftwareIdentity " + id);
    }

    private static CIM_SoftwareIdentity identity(String instanceId, String version) {
        return new CIM_SoftwareIdentity().setInstanceID(instanceId).setIsEntity(true).setVersionString(version);
    }
}
