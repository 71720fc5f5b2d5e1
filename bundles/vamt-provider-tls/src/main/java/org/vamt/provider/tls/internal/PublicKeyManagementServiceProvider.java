package org.vamt.provider.tls.internal;

import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_PublicKeyManagementService;
import org.vamt.cim.model.AMT_PublicKeyManagementServiceProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.vamt.tls.TlsIdentity;

/**
 * Adding certificates to a VM's store. Keys are not generated per VM: a private key would have
 * to live in the domain definition, readable by everyone who can read that, so GenerateKeyPair
 * answers PT_STATUS_UNSUPPORTED. MeshCentral only asks for it when no TLS credential context
 * exists, and vAMT always shows one.
 */
@Component(service = CimProvider.class, property = CimProvider.CLASSES + "=AMT_PublicKeyManagementService")
public class PublicKeyManagementServiceProvider extends AMT_PublicKeyManagementServiceProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(PublicKeyManagementServiceProvider.class);
    static final long SUCCESS = 0;
    static final long MAX_LIMIT_REACHED = 23;
    static final long INVALID_PARAMETER = 36;
    static final long DUPLICATE = 2058;
    static final long INVALID_CERT = 2063;
    static final long UNSUPPORTED = 2066;

    private final Hypervisor hypervisor;
    private final CertificateStore store;

    @Activate
    public PublicKeyManagementServiceProvider(@Reference Hypervisor hypervisor, @Reference TlsIdentity tls) {
        this.hypervisor = hypervisor;
        this.store = new CertificateStore(hypervisor, tls);
    }

    @Override
    protected List<AMT_PublicKeyManagementService> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_PublicKeyManagementService()
                .setCreationClassName(AMT_PublicKeyManagementService.CLASS_NAME)
                .setName("Intel(r) AMT Public Key Management Service")
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName("Intel(r) AMT Certificate Store Service")
                .setEnabledDefault(5)
                .setEnabledState(5)
                .setRequestedState(12));
    }

    @Override
    protected MethodResult AddTrustedRootCertificate(RequestContext ctx, CimObjectPath target, String certificateBlob)
            throws CimException {
        return add(ctx, certificateBlob, true);
    }

    @Override
    protected MethodResult AddCertificate(RequestContext ctx, CimObjectPath target, String certificateBlob)
            throws CimException {
        return add(ctx, certificateBlob, false);
    }

    @Override
    protected MethodResult GenerateKeyPair(RequestContext ctx, CimObjectPath target, Long keyAlgorithm,
                                           Long keyLength) throws CimException {
        Machines.require(hypervisor, ctx);
        return MethodResult.of(UNSUPPORTED);
    }

    private MethodResult add(RequestContext ctx, String blob, boolean trustedRoot) throws CimException {
        try {
            CimObjectPath created = store.add(ctx, blob, trustedRoot);
            LOG.info("VM {} ({}): {} added {} {}", ctx.machineName(), ctx.machineId(), ctx.user(),
                    trustedRoot ? "trusted root certificate" : "certificate", created.key("InstanceID"));
            return new MethodResult(SUCCESS, Map.of("CreatedCertificate", created));
        } catch (CertificateStore.AddRefused e) {
            LOG.info("VM {}: certificate from {} refused: {}", ctx.machineName(), ctx.user(), e.getMessage());
            return MethodResult.of(e.status);
        }
    }
}
