package org.vamt.wsman.internal;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vamt.security.AmtRealm;
import org.vamt.accounts.UserAccounts;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;

/**
 * The CIMOM seen through one authenticated request of an extra endpoint path: each operation
 * needs the realm that {@link AccessPolicy} gives the same WS-Management operation, held by the
 * user on this VM, and runs only in that request's context.
 */
final class AuthorizedCim implements CimObjectManager {
    private final CimObjectManager cimom;
    private final AccessPolicy policy;
    private final UserAccounts accounts;
    private final RequestContext ctx;

    AuthorizedCim(CimObjectManager cimom, AccessPolicy policy, UserAccounts accounts, RequestContext ctx) {
        this.cimom = cimom;
        this.policy = policy;
        this.accounts = accounts;
        this.ctx = ctx;
    }

    private void require(RequestContext given, int realm) throws CimException {
        if (!ctx.equals(given)) {
            throw new CimException(CimStatus.ACCESS_DENIED, "only the request's own context may be used");
        }
        if (realm != AccessPolicy.ANYONE && !accounts.permits(ctx.user(), ctx.machineId(), realm)) {
            throw new CimException(CimStatus.ACCESS_DENIED, "the user does not hold the " + AmtRealm.name(realm)
                    + " realm this operation needs");
        }
    }

    @Override
    public Set<String> servedClasses() {
        return cimom.servedClasses();
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext c, String className) throws CimException {
        require(c, policy.readRealm(className));
        return cimom.enumerateInstances(c, className);
    }

    @Override
    public CimInstance getInstance(RequestContext c, CimObjectPath path) throws CimException {
        require(c, policy.readRealm(path.className()));
        return cimom.getInstance(c, path);
    }

    @Override
    public CimInstance modifyInstance(RequestContext c, CimObjectPath path, CimInstance modified)
            throws CimException {
        require(c, policy.writeRealm(path.className(), null));
        return cimom.modifyInstance(c, path, modified);
    }

    @Override
    public MethodResult invokeMethod(RequestContext c, CimObjectPath path, String method,
                                     Map<String, Object> arguments) throws CimException {
        require(c, policy.writeRealm(path.className(), method));
        return cimom.invokeMethod(c, path, method, arguments);
    }

    @Override
    public CimObjectPath createInstance(RequestContext c, CimInstance instance) throws CimException {
        require(c, policy.writeRealm(instance.className(), null));
        return cimom.createInstance(c, instance);
    }

    @Override
    public void deleteInstance(RequestContext c, CimObjectPath path) throws CimException {
        require(c, policy.writeRealm(path.className(), null));
        cimom.deleteInstance(c, path);
    }

    @Override
    public List<CimInstance> associators(RequestContext c, CimObjectPath objectPath, String assocClass,
                                         String resultClass, String role, String resultRole) throws CimException {
        // what WS-Man's association filter needs: the all-classes URI, i.e. PT administration
        require(c, AmtRealm.PT_ADMINISTRATION);
        return cimom.associators(c, objectPath, assocClass, resultClass, role, resultRole);
    }

    @Override
    public List<CimInstance> references(RequestContext c, CimObjectPath objectPath, String resultClass, String role)
            throws CimException {
        require(c, AmtRealm.PT_ADMINISTRATION);
        return cimom.references(c, objectPath, resultClass, role);
    }
}
