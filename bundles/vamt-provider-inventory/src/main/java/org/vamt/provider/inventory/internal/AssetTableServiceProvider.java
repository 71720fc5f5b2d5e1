package org.vamt.provider.inventory.internal;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_AssetTableService;
import org.vamt.cim.model.AMT_AssetTableServiceProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;

/**
 * AMT_AssetTableService, the service behind AMT's hardware asset tables, with AMT's service keys.
 * vAMT keeps no raw asset tables (AMT_AssetTable is not served, so TableTypes is not returned): the
 * inventory classes are derived from the VM at every read. RequestMediaDeviceTableUpdate asks AMT
 * to have the BIOS refresh its media device table; the media devices (CIM_MediaAccessDevice) are
 * always read live from the domain, so there is nothing to refresh and it answers 0.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_AssetTableService",
    CimProvider.REALM_PREFIX + "AMT_AssetTableService=4",
    CimProvider.REALM_PREFIX + "AMT_AssetTableService.RequestMediaDeviceTableUpdate=4"})
public class AssetTableServiceProvider extends AMT_AssetTableServiceProviderSkeleton {
    static final String NAME = "Intel(r) AMT Asset Table Service";
    static final long SUCCESS = 0;

    private final Hypervisor hypervisor;

    @Activate
    public AssetTableServiceProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<AMT_AssetTableService> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_AssetTableService()
                .setCreationClassName(AMT_AssetTableService.CLASS_NAME)
                .setName(NAME)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName(NAME)
                .setEnabledState(5)
                .setRequestedState(12));
    }

    @Override
    protected MethodResult RequestMediaDeviceTableUpdate(RequestContext ctx, CimObjectPath target, Boolean fullUpdate,
                                                         Boolean sticky) throws CimException {
        Machines.require(hypervisor, ctx);
        return MethodResult.of(SUCCESS);
    }
}
