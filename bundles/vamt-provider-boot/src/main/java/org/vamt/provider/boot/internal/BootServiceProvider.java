package org.vamt.provider.boot.internal;

import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.CIM_BootService;
import org.vamt.cim.model.CIM_BootServiceProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CIM_BootService "Intel(r) AMT Boot Service". SetBootConfigRole(BootConfigSetting, Role) is what
 * every console calls around ChangeBootOrder; it confirms that "Intel(r) AMT: Boot Configuration 0"
 * is used for the next boot, which in vAMT is always so: the device set by ChangeBootOrder applies
 * to the next start whether SetBootConfigRole came before or after it (MeshCentral and MAAS call
 * them in opposite orders), so this method changes nothing.
 *
 * <p>ReturnValues (the method's ValueMap): 0 for Role 0 (IsNext) or 1 (IsNextSingleUse) on our
 * configuration, both meaning "the next boot" here; 4 Invalid Reference for another configuration;
 * 1 Not Supported for Role 2 (IsDefault: AMT cannot change the permanent boot order); 5 Invalid
 * Parameter for any other Role.
 *
 * <p>EnabledState is 32768 (AMT 16+: One Click Recovery and remote platform erase disabled);
 * RequestStateChange accepts only that state.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_BootService",
    CimProvider.REALM_PREFIX + "CIM_BootService=5"})
public class BootServiceProvider extends CIM_BootServiceProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(BootServiceProvider.class);

    static final long COMPLETED = 0;
    static final long NOT_SUPPORTED = 1;
    static final long INVALID_REFERENCE = 4;
    static final long INVALID_PARAMETER = 5;

    static final long ROLE_IS_NEXT = 0;
    static final long ROLE_IS_NEXT_SINGLE_USE = 1;
    static final long ROLE_IS_DEFAULT = 2;

    /** AMT 16+ CIM_BootService states: OCR and RPE both disabled (32769 OCR, 32770 RPE, 32771 both). */
    static final long OCR_AND_RPE_DISABLED = 32768;

    private final Hypervisor hypervisor;

    @Activate
    public BootServiceProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<CIM_BootService> enumerate(RequestContext ctx) {
        return List.of(service());
    }

    static CIM_BootService service() {
        return new CIM_BootService()
                .setCreationClassName(CIM_BootService.CLASS_NAME)
                .setName(BootNames.SERVICE_NAME)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName(BootNames.SERVICE_NAME)
                .setOperationalStatus(0)
                .setEnabledState(OCR_AND_RPE_DISABLED)
                .setRequestedState(12);
    }

    @Override
    protected MethodResult SetBootConfigRole(RequestContext ctx, CimObjectPath target, CimObjectPath bootConfigSetting,
                                             Long role) throws CimException {
        if (role == null) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "SetBootConfigRole requires Role");
        }
        MachineInfo vm = Machines.require(hypervisor, ctx);
        long rv;
        if (!BootNames.isBootConfig(bootConfigSetting)) {
            rv = INVALID_REFERENCE;
        } else if (role == ROLE_IS_NEXT || role == ROLE_IS_NEXT_SINGLE_USE) {
            rv = COMPLETED;
        } else if (role == ROLE_IS_DEFAULT) {
            rv = NOT_SUPPORTED;
        } else {
            rv = INVALID_PARAMETER;
        }
        LOG.info("VM {} ({}): SetBootConfigRole({}, {}) by {} -> ReturnValue {}", vm.name(), vm.uuid(),
                bootConfigSetting == null ? null : bootConfigSetting.key("InstanceID"), role, ctx.user(), rv);
        return MethodResult.of(rv);
    }

    @Override
    protected MethodResult RequestStateChange(RequestContext ctx, CimObjectPath target, Long requestedState,
                                              CimDateTime timeoutPeriod) {
        long rv = requestedState == null ? INVALID_PARAMETER
                : requestedState == OCR_AND_RPE_DISABLED ? COMPLETED
                : requestedState > OCR_AND_RPE_DISABLED && requestedState <= OCR_AND_RPE_DISABLED + 3 ? NOT_SUPPORTED
                : INVALID_PARAMETER;
        LOG.info("CIM_BootService.RequestStateChange({}) by {} -> ReturnValue {}", requestedState, ctx.user(), rv);
        return MethodResult.of(rv);
    }
}
