package org.vamt.provider.authorization.internal;

import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_KerberosSettingData;
import org.vamt.cim.model.AMT_KerberosSettingDataProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.support.Machines;

/**
 * AMT_KerberosSettingData as an AMT without Kerberos answers it: KrbEnabled false, AMT's three
 * encryption algorithms. vAMT authenticates with HTTP Digest only (vamt-security), so Kerberos
 * cannot be set up: KrbEnabled is read-only here (a Put that changes it is the CIMOM's
 * wxf:InvalidRepresentation), the credential cache reads off, and turning it on is refused with
 * 16 (PT_STATUS_NOT_PERMITTED, as AMT answers while Kerberos is not configured, and as the ACL
 * refuses Kerberos entries); turning it off has nothing to do (0).
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_KerberosSettingData",
    CimProvider.REALM_PREFIX + "AMT_KerberosSettingData=21"})
public class KerberosSettingsProvider extends AMT_KerberosSettingDataProviderSkeleton {
    static final long SUCCESS = 0;
    static final long NOT_PERMITTED = 16;

    private final Hypervisor hypervisor;

    @Activate
    public KerberosSettingsProvider(@Reference Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    @Override
    protected List<AMT_KerberosSettingData> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_KerberosSettingData()
                // AMT's InstanceID has a space in "Intel (r)", unlike its ElementName
                .setInstanceID("Intel (r) AMT: Kerberos Settings")
                .setElementName("Intel(r) AMT: Kerberos Settings")
                .setKrbEnabled(false)
                .setSupportedEncryptionAlgorithms(0, 1, 2));
    }

    @Override
    protected MethodResult GetCredentialCacheState(RequestContext ctx, CimObjectPath target, Boolean enabled)
            throws CimException {
        Machines.require(hypervisor, ctx);
        return new MethodResult(SUCCESS, Map.of("Enabled", false));
    }

    @Override
    protected MethodResult SetCredentialCacheState(RequestContext ctx, CimObjectPath target, Boolean enabled)
            throws CimException {
        Machines.require(hypervisor, ctx);
        return MethodResult.of(Boolean.TRUE.equals(enabled) ? NOT_PERMITTED : SUCCESS);
    }
}
