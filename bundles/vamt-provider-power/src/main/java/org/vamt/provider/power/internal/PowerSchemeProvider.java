package org.vamt.provider.power.internal;

import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_SystemPowerScheme;
import org.vamt.cim.model.AMT_SystemPowerSchemeProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.support.Machines;

/**
 * AMT_SystemPowerScheme: the power packages of an AMT 16 desktop, "ON in S0" and "ON in S0, ME
 * Wake in S3, S4-5" (the two a desktop SKU's MEBx offers), with Intel's package GUIDs. Which one is
 * set changes nothing for a VM: vAMT runs beside the VM, so it answers in every power state, as
 * the wake package promises. SetPowerScheme on either answers 0 (AMT records it in the audit log
 * as Security Admin event 16, "Power Package Modified", the event vamt-wsman writes for it); the
 * choice is not kept, as no served class (AMT's CIM_ElementSettingData) would show it.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_SystemPowerScheme",
    CimProvider.REALM_PREFIX + "AMT_SystemPowerScheme=3",
    CimProvider.REALM_PREFIX + "AMT_SystemPowerScheme.SetPowerScheme=3"})
public class PowerSchemeProvider extends AMT_SystemPowerSchemeProviderSkeleton {
    static final String ELEMENT_NAME = "Intel(r) AMT Power Scheme";
    static final long SUCCESS = 0;

    /** Description and package GUID (the bytes as AMT stores them) of each scheme, SCHEME 0 first. */
    static final String[][] SCHEMES = {
        {"Desktop: ON in S0", "944F8312FB104FDC968E1E232B0C9065"},
        {"Desktop: ON in S0, ME Wake in S3, S4-5", "7322734623DC432FA98A13D37982D855"}};

    private final Hypervisor hypervisor;

    @Activate
    public PowerSchemeProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<AMT_SystemPowerScheme> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return IntStream.range(0, SCHEMES.length).mapToObj(i -> new AMT_SystemPowerScheme()
                .setInstanceID("SCHEME " + i)
                .setElementName(ELEMENT_NAME)
                .setDescription(SCHEMES[i][0])
                .setSchemeGUID(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(SCHEMES[i][1]))))
                .toList();
    }

    @Override
    protected MethodResult SetPowerScheme(RequestContext ctx, CimObjectPath target) throws CimException {
        Machines.require(hypervisor, ctx);
        return MethodResult.of(SUCCESS);
    }
}
