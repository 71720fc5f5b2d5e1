package org.vamt.provider.boot.internal;

import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Component;
import org.vamt.cim.model.CIM_BootSourceSetting;
import org.vamt.cim.model.CIM_BootSourceSettingProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;

/**
 * CIM_BootSourceSetting: the devices a client may name in CIM_BootConfigSetting.ChangeBootOrder,
 * as real AMT lists them (hard drive, PXE, CD/DVD). Diagnostic and One Click Recovery sources are
 * not listed, as AMT_BootCapabilities does not advertise them.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_BootSourceSetting",
    CimProvider.REALM_PREFIX + "CIM_BootSourceSetting=5"})
public class BootSourceSettingProvider extends CIM_BootSourceSettingProviderSkeleton {

    @Override
    protected List<CIM_BootSourceSetting> enumerate(RequestContext ctx) {
        List<CIM_BootSourceSetting> list = new ArrayList<>();
        for (BootNames.Source s : BootNames.Source.values()) {
            list.add(source(s));
        }
        return list;
    }

    static CIM_BootSourceSetting source(BootNames.Source s) {
        return new CIM_BootSourceSetting()
                .setInstanceID(s.instanceId)
                .setElementName(BootNames.SOURCE_NAME)
                .setStructuredBootString(s.structuredBootString)
                .setFailThroughSupported(2);
    }
}
