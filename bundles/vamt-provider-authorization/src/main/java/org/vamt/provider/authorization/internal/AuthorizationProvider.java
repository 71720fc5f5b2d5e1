package org.vamt.provider.authorization.internal;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.accounts.Account;
import org.vamt.accounts.AccountException;
import org.vamt.accounts.UserAccounts;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.model.AMT_AuthorizationService;
import org.vamt.cim.model.AMT_AuthorizationServiceProviderSkeleton;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.vamt.security.AmtRealm;

/**
 * The AMT user ACL of a VM (compat section 4.11), as a view of vAMT's accounts. Every method acts on
 * the VM the request came to, as each AMT device has its own ACL:
 * <ul>
 * <li>The entries of a VM are its <em>local accounts</em> (what consoles added through this VM) and,
 *     read-only, the operator accounts reaching it (made with the vAMT shell, possibly spanning
 *     several VMs): changing those through WS-Management is refused with {@code wsman:AccessDenied}.</li>
 * <li>Realms decide what a caller holding the ACL realm may do: grant only realms it holds itself,
 *     change, disable or remove only entries whose realms it holds itself (so never raise its own),
 *     and not touch the admin: SetAdminAclEntryEx is the admin's alone. A refusal is the
 *     {@code wsman:AccessDenied} fault, as for a missing realm; AMT's return codes stay for what AMT
 *     answers with a code (bad handle, name, password, realm, duplicate, full ACL).</li>
 * </ul>
 * The admin is vAMT's admin; SetAdminAclEntryEx gives it a password of its own on this VM, as each
 * AMT device has its own admin password. The local operator (shell) is held to no rule.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_AuthorizationService",
    CimProvider.REALM_PREFIX + "AMT_AuthorizationService=21"})
public class AuthorizationProvider extends AMT_AuthorizationServiceProviderSkeleton {
    private static final Logger LOG = LoggerFactory.getLogger(AuthorizationProvider.class);
    static final String NAME = "Intel(r) AMT Authorization Service";
    static final int HANDLES_PER_CALL = 50;
    static final long SUCCESS = 0;
    static final long INTERNAL_ERROR = 1;
    static final long INVALID_NAME = 12;
    static final long NOT_PERMITTED = 16;
    static final long MAX_LIMIT_REACHED = 23;
    static final long INVALID_PARAMETER = 36;
    static final long INVALID_HANDLE = 2053;
    static final long INVALID_PASSWORD = 2054;
    static final long INVALID_REALM = 2055;
    static final long DUPLICATE = 2058;

    private final Hypervisor hypervisor;
    private final UserAccounts accounts;

    @Activate
    public AuthorizationProvider(@Reference Hypervisor hypervisor, @Reference UserAccounts accounts) {
        this.hypervisor = hypervisor;
        this.accounts = accounts;
    }

    @Override
    protected List<AMT_AuthorizationService> enumerate(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_AuthorizationService()
                .setCreationClassName(AMT_AuthorizationService.CLASS_NAME)
                .setName(NAME)
                .setSystemCreationClassName(AmtNames.COMPUTER_SYSTEM)
                .setSystemName(AmtNames.AMT_SYSTEM)
                .setElementName(NAME)
                .setEnabledState(5)
                .setRequestedState(12)
                // 1: only Digest answers with qop=auth are accepted (vamt-security refuses RFC 2069).
                .setAllowHttpQopAuthOnly(1));
    }

    /** The user entries of this VM, in handle order (the admin is not an entry). */
    private List<Account> entries(RequestContext ctx) {
        return accounts.entries(ctx.machineId());
    }

    private Account entry(RequestContext ctx, Long handle) {
        if (handle == null) {
            return null;
        }
        return entries(ctx).stream().filter(a -> a.handle() == handle).findFirst().orElse(null);
    }

    // ---------------------------------------------------------------- who may do what

    /** Whether the caller is the admin (or the local operator): the only ones who may set the admin's password. */
    private boolean callerIsAdmin(RequestContext ctx) {
        return ctx.operator() || accounts.resolve(ctx.machineId(), ctx.user()).map(Account::isAdmin).orElse(false);
    }

    /** The realms the caller holds on this VM: every realm for the admin and the local operator. */
    private Set<Integer> callerRealms(RequestContext ctx) {
        if (callerIsAdmin(ctx)) {
            return AmtRealm.all();
        }
        return accounts.resolve(ctx.machineId(), ctx.user()).filter(Account::enabled).map(Account::realms)
                .orElse(Set.of());
    }

    private static CimException denied(RequestContext ctx, String method, String why) {
        LOG.info("VM {}: {} by {} refused: {}", ctx.machineName(), method, ctx.user(), why);
        return new CimException(CimStatus.ACCESS_DENIED, why);
    }

    /** The entry may be changed from this VM by this caller, or the refusal. */
    private void requireChangeable(RequestContext ctx, String method, Account a) throws CimException {
        if (!a.isLocalTo(ctx.machineId())) {
            throw denied(ctx, method, "User " + a.name() + " is an operator account of vAMT, changed only from "
                    + "the vAMT shell; this VM's ACL lists it read-only.");
        }
        if (!callerRealms(ctx).containsAll(a.realms())) {
            throw denied(ctx, method, "User " + a.name() + " holds realms the caller does not hold.");
        }
    }

    private void requireGrantable(RequestContext ctx, String method, Set<Integer> wanted) throws CimException {
        if (!callerRealms(ctx).containsAll(wanted)) {
            throw denied(ctx, method, "The caller cannot grant realms it does not hold itself.");
        }
    }

    // ---------------------------------------------------------------- methods

    @Override
    protected MethodResult EnumerateUserAclEntries(RequestContext ctx, CimObjectPath target, Long startIndex)
            throws CimException {
        Machines.require(hypervisor, ctx);
        List<Account> all = entries(ctx);
        if (startIndex == null || startIndex < 1 || (startIndex > all.size() && !(all.isEmpty() && startIndex == 1))) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        int from = (int) (startIndex - 1);
        List<Long> handles = new ArrayList<>();
        for (Account a : all.subList(from, Math.min(all.size(), from + HANDLES_PER_CALL))) {
            handles.add((long) a.handle());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("TotalCount", (long) all.size());
        out.put("HandlesCount", (long) handles.size());
        if (!handles.isEmpty()) {
            out.put("Handles", handles);
        }
        return new MethodResult(SUCCESS, out);
    }

    @Override
    protected MethodResult GetUserAclEntryEx(RequestContext ctx, CimObjectPath target, Long handle)
            throws CimException {
        Machines.require(hypervisor, ctx);
        Account a = entry(ctx, handle);
        if (a == null) {
            return MethodResult.of(INVALID_HANDLE);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("DigestUsername", a.name());
        out.put("AccessPermission", (long) a.accessPermission());
        out.put("Realms", a.realms().stream().sorted().map(Integer::longValue).toList());
        return new MethodResult(SUCCESS, out);
    }

    @Override
    protected MethodResult AddUserAclEntryEx(RequestContext ctx, CimObjectPath target, String digestUsername,
                                             String digestPassword, String kerberosUserSid, Long accessPermission,
                                             List<Long> realms) throws CimException {
        Machines.require(hypervisor, ctx);
        if (digestUsername == null || digestUsername.isEmpty()) {
            return MethodResult.of(kerberosUserSid != null ? NOT_PERMITTED : INVALID_NAME);
        }
        String ha1 = ha1(digestPassword);
        if (ha1 == null) {
            return MethodResult.of(INVALID_PASSWORD);
        }
        Set<Integer> wanted = realms(realms);
        if (wanted == null) {
            return MethodResult.of(INVALID_REALM);
        }
        requireGrantable(ctx, "AddUserAclEntryEx", wanted);
        try {
            Account a = accounts.addWithDigest(digestUsername, ctx.machineId(), ctx.digestRealm(), ha1, wanted,
                    accessPermission == null ? 2 : accessPermission.intValue());
            LOG.info("VM {}: user {} added by {} with realms {}", ctx.machineName(), digestUsername, ctx.user(),
                    wanted);
            return new MethodResult(SUCCESS, Map.of("Handle", (long) a.handle()));
        } catch (AccountException e) {
            return MethodResult.of(code(e));
        }
    }

    @Override
    protected MethodResult UpdateUserAclEntryEx(RequestContext ctx, CimObjectPath target, Long handle,
                                                String digestUsername, String digestPassword, String kerberosUserSid,
                                                Long accessPermission, List<Long> realms) throws CimException {
        Machines.require(hypervisor, ctx);
        Account a = entry(ctx, handle);
        if (a == null) {
            return MethodResult.of(INVALID_HANDLE);
        }
        requireChangeable(ctx, "UpdateUserAclEntryEx", a);
        Set<Integer> wanted = realms == null ? null : realms(realms);
        if (realms != null && wanted == null) {
            return MethodResult.of(INVALID_REALM);
        }
        if (wanted != null) {
            requireGrantable(ctx, "UpdateUserAclEntryEx", wanted);
        }
        String ha1 = null;
        if (digestPassword != null && !digestPassword.isEmpty()) {
            ha1 = ha1(digestPassword);
            if (ha1 == null) {
                return MethodResult.of(INVALID_PASSWORD);
            }
        }
        String newName = digestUsername != null && !digestUsername.isEmpty() && !digestUsername.equals(a.name())
                ? digestUsername : null;
        String digest = ha1;
        return change(() -> {
            accounts.updateLocal(ctx.machineId(), a.handle(), newName, wanted,
                    accessPermission == null ? null : accessPermission.intValue(), ctx.digestRealm(), digest);
            LOG.info("VM {}: user {} changed by {}", ctx.machineName(), a.name(), ctx.user());
        });
    }

    @Override
    protected MethodResult RemoveUserAclEntry(RequestContext ctx, CimObjectPath target, Long handle)
            throws CimException {
        Machines.require(hypervisor, ctx);
        Account a = entry(ctx, handle);
        if (a == null) {
            return MethodResult.of(INVALID_HANDLE);
        }
        requireChangeable(ctx, "RemoveUserAclEntry", a);
        return change(() -> {
            accounts.removeLocal(ctx.machineId(), a.handle());
            LOG.info("VM {}: user {} removed by {}", ctx.machineName(), a.name(), ctx.user());
        });
    }

    @Override
    protected MethodResult GetAdminAclEntry(RequestContext ctx, CimObjectPath target) throws CimException {
        Machines.require(hypervisor, ctx);
        return new MethodResult(SUCCESS, Map.of("Username", UserAccounts.ADMIN));
    }

    @Override
    protected MethodResult GetAdminAclEntryStatus(RequestContext ctx, CimObjectPath target) throws CimException {
        Machines.require(hypervisor, ctx);
        return new MethodResult(SUCCESS, Map.of("IsDefault", false));
    }

    @Override
    protected MethodResult GetAdminNetAclEntryStatus(RequestContext ctx, CimObjectPath target) throws CimException {
        Machines.require(hypervisor, ctx);
        return new MethodResult(SUCCESS, Map.of("IsDefault", false));
    }

    @Override
    protected MethodResult SetAdminAclEntryEx(RequestContext ctx, CimObjectPath target, String username,
                                              String digestPassword) throws CimException {
        Machines.require(hypervisor, ctx);
        if (!callerIsAdmin(ctx)) {
            throw denied(ctx, "SetAdminAclEntryEx", "Only the admin sets the admin's password.");
        }
        if (!UserAccounts.ADMIN.equals(username)) {
            return MethodResult.of(INVALID_NAME); // the admin's name is shared by every VM
        }
        String ha1 = ha1(digestPassword);
        if (ha1 == null) {
            return MethodResult.of(INVALID_PASSWORD);
        }
        return change(() -> {
            accounts.setDigest(UserAccounts.ADMIN, ctx.digestRealm(), ha1);
            LOG.info("VM {}: admin password of this VM set by {}", ctx.machineName(), ctx.user());
        });
    }

    @Override
    protected MethodResult GetAclEnabledState(RequestContext ctx, CimObjectPath target, Long handle)
            throws CimException {
        Machines.require(hypervisor, ctx);
        Account a = entry(ctx, handle);
        return a == null ? MethodResult.of(INVALID_HANDLE) : new MethodResult(SUCCESS, Map.of("Enabled", a.enabled()));
    }

    @Override
    protected MethodResult SetAclEnabledState(RequestContext ctx, CimObjectPath target, Long handle, Boolean enabled)
            throws CimException {
        Machines.require(hypervisor, ctx);
        Account a = entry(ctx, handle);
        if (a == null) {
            return MethodResult.of(INVALID_HANDLE);
        }
        requireChangeable(ctx, "SetAclEnabledState", a);
        return change(() -> accounts.setLocalEnabled(ctx.machineId(), a.handle(), enabled == null || enabled));
    }

    /** A change to the accounts, which may be refused. */
    @FunctionalInterface
    private interface AccountChange {
        void apply() throws AccountException;
    }

    /** Applies a change and answers as AMT does: SUCCESS, or the return code of the refusal. */
    private static MethodResult change(AccountChange c) {
        try {
            c.apply();
            return MethodResult.of(SUCCESS);
        } catch (AccountException e) {
            return MethodResult.of(code(e));
        }
    }

    /** The HA1 a console sent: base64 of the 16 MD5 bytes (MeshCommander) or 32 hex digits (MeshCentral). */
    static String ha1(String digestPassword) {
        if (digestPassword == null) {
            return null;
        }
        String s = digestPassword.trim();
        if (s.matches("[0-9a-fA-F]{32}")) {
            return s.toLowerCase(Locale.ROOT);
        }
        try {
            byte[] b = Base64.getDecoder().decode(s);
            if (b.length != 16) {
                return null;
            }
            StringBuilder hex = new StringBuilder(32);
            for (byte x : b) {
                hex.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
            }
            return hex.toString();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Set<Integer> realms(List<Long> realms) {
        Set<Integer> out = new HashSet<>();
        if (realms != null) {
            for (Long r : realms) {
                if (r == null || !org.vamt.security.AmtRealm.isValid(r.intValue())) {
                    return null;
                }
                out.add(r.intValue());
            }
        }
        return out;
    }

    private static long code(AccountException e) {
        return switch (e.reason()) {
            case INVALID_NAME -> INVALID_NAME;
            case INVALID_PASSWORD -> INVALID_PASSWORD;
            case INVALID_REALM -> INVALID_REALM;
            case DUPLICATE -> DUPLICATE;
            case NOT_FOUND -> INVALID_HANDLE;
            case NOT_PERMITTED -> NOT_PERMITTED;
            case LIMIT_REACHED -> MAX_LIMIT_REACHED;
            case STORAGE -> INTERNAL_ERROR;
        };
    }
}
