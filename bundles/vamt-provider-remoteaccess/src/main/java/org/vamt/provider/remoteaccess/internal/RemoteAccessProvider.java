package org.vamt.provider.remoteaccess.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cira.Cira;
import org.vamt.cira.CiraProfile;
import org.vamt.cira.CiraProfileSource;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.remoteaccess.internal.RemoteAccessState.Environment;
import org.vamt.provider.remoteaccess.internal.RemoteAccessState.Link;
import org.vamt.provider.remoteaccess.internal.RemoteAccessState.Policy;
import org.vamt.provider.remoteaccess.internal.RemoteAccessState.Server;
import org.vamt.provider.support.AmtNames;
import org.vamt.provider.support.Machines;
import org.vamt.provider.tls.AddedCertificates;

/**
 * CIRA set up as on a real AMT: the classes consoles (MeshCentral, MeshCommander, Intel DMT RPS and
 * rpc-go) write to make AMT dial a Management Presence Server, kept per VM ({@link RemoteAccessState},
 * namespace {@code cira}), and the VM's {@link CiraProfile} made from them for vamt-cira's tunnels
 * ({@link CiraProfileSource}: it takes precedence over the operator's configuration for every VM
 * that has an MPS set up by a console).
 *
 * <p>A VM dials when it has an MPS, a policy naming it that vAMT can act on (periodic; or user
 * initiated while AMT_UserInitiatedConnectionService allows it), a trusted root certificate
 * (AMT_PublicKeyManagementService.AddTrustedRootCertificate, vamt-provider-tls's state) and
 * environment detection says "outside": always, unless one of the console's DetectionStrings is one
 * of the operator's {@code intranetDomains} (PID {@code org.vamt.cira}).
 */
@Component(service = {CimProvider.class, CiraProfileSource.class}, configurationPid = RemoteAccessProvider.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = {
    CimProvider.CLASSES + "=" + RemoteAccessProvider.SERVICE,
    CimProvider.CLASSES + "=" + RemoteAccessProvider.SAP,
    CimProvider.CLASSES + "=" + RemoteAccessProvider.CREDENTIAL,
    CimProvider.CLASSES + "=" + RemoteAccessProvider.RULE,
    CimProvider.CLASSES + "=" + RemoteAccessProvider.APPLIES,
    CimProvider.CLASSES + "=" + RemoteAccessProvider.ENVIRONMENT,
    CimProvider.CLASSES + "=" + RemoteAccessProvider.USER_INITIATED,
    CimProvider.CLASSES + "=" + RemoteAccessProvider.CAPABILITIES,
    CimProvider.CLASSES + "=" + RemoteAccessProvider.CREDENTIAL_CONTEXT,
    CimProvider.CLASSES + "=IPS_HTTPProxyService",
    CimProvider.CLASSES + "=IPS_HTTPProxyAccessPoint",
    // AMT: setting CIRA up is an administrator's job (PT Administration), reading it too
    CimProvider.REALM_PREFIX + RemoteAccessProvider.SERVICE + "=3",
    CimProvider.REALM_PREFIX + RemoteAccessProvider.SAP + "=3",
    CimProvider.REALM_PREFIX + RemoteAccessProvider.CREDENTIAL + "=3",
    CimProvider.REALM_PREFIX + RemoteAccessProvider.RULE + "=3",
    CimProvider.REALM_PREFIX + RemoteAccessProvider.APPLIES + "=3",
    CimProvider.REALM_PREFIX + RemoteAccessProvider.ENVIRONMENT + "=3",
    CimProvider.REALM_PREFIX + RemoteAccessProvider.USER_INITIATED + "=3",
    CimProvider.REALM_PREFIX + RemoteAccessProvider.CAPABILITIES + "=3",
    CimProvider.REALM_PREFIX + RemoteAccessProvider.CREDENTIAL_CONTEXT + "=3",
    CimProvider.REALM_PREFIX + "IPS_HTTPProxyService=3",
    CimProvider.REALM_PREFIX + "IPS_HTTPProxyAccessPoint=3"})
public class RemoteAccessProvider implements CimProvider, CiraProfileSource {
    static final String PID = "org.vamt.cira";
    static final String SERVICE = "AMT_RemoteAccessService";
    static final String SAP = "AMT_ManagementPresenceRemoteSAP";
    static final String CREDENTIAL = "AMT_MPSUsernamePassword";
    static final String RULE = "AMT_RemoteAccessPolicyRule";
    static final String APPLIES = "AMT_RemoteAccessPolicyAppliesToMPS";
    static final String ENVIRONMENT = "AMT_EnvironmentDetectionSettingData";
    static final String USER_INITIATED = "AMT_UserInitiatedConnectionService";
    static final String CAPABILITIES = "AMT_RemoteAccessCapabilities";
    static final String CREDENTIAL_CONTEXT = "AMT_RemoteAccessCredentialContext";

    static final String SERVICE_NAME = "Intel(r) AMT Remote Access Service";
    static final String SAP_PREFIX = "Intel(r) AMT:Management Presence Server ";
    static final String SAP_ELEMENT_NAME = "Intel(r) AMT:Management Presence Server";
    static final String CREDENTIAL_PREFIX = "Intel(r) AMT:MPS Username Password ";
    static final String USER_INITIATED_NAME = "Intel(r) AMT User Initiated Connection Service";
    static final String ENVIRONMENT_ID = "Intel(r) AMT Environment Detection Settings";
    static final String CAPABILITIES_ID = "Intel(r) AMT:Remote Access Capabilities";
    static final String RULE_ELEMENT_NAME = "Intel(r) AMT:Remote Access Policy";

    // AMT_RemoteAccessCapabilities, as AMT 16 answers (go-wsman-messages' capture)
    static final int MAX_MPS_PER_POLICY = 2;
    static final int MAX_MP_SERVERS = 6;
    static final int MAX_POLICIES = 3;
    static final int MAX_PROXY_ENTRY_POINTS = 15;

    // AMT status codes (ReturnValue)
    static final long SUCCESS = 0;
    static final long MAX_LIMIT_REACHED = 23;
    static final long INVALID_PARAMETER = 36;
    static final long DUPLICATE = 2058;
    static final long UNSUPPORTED = 2066;

    /** AMT_UserInitiatedConnectionService states. */
    static final long ALL_DISABLED = 32768;
    static final long BIOS_AND_OS_ENABLED = 32771;

    static final int TRIGGER_USER_INITIATED = 0;
    static final int TRIGGER_ALERT = 1;
    static final int TRIGGER_PERIODIC = 2;
    static final int KEEP_ALIVE_SECONDS = 30;
    static final int MAX_DETECTION_STRINGS = 5;
    static final int MAX_DETECTION_STRING_LENGTH = 192;

    private static final Logger LOG = LoggerFactory.getLogger(RemoteAccessProvider.class);
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");

    /** What the operator's PID {@code org.vamt.cira} says about consoles' set-ups. */
    public @interface Config {
        /**
         * Domain suffixes that are "inside" (the enterprise network): a VM whose console wrote one of
         * them, or a sub-domain of one, among AMT_EnvironmentDetectionSettingData.DetectionStrings
         * does not dial. Empty (the default): every VM is outside.
         */
        String intranetDomains() default "";
    }

    private final Hypervisor hypervisor;
    private final StateStore<RemoteAccessState> store;
    private final StateStore<AddedCertificates> certificates;
    private final MpsPasswords passwords;
    private volatile List<String> intranetDomains;
    /**
     * vamt-cira's tunnels, looked up when first needed (a request), not bound by DS nor tracked
     * eagerly: vamt-cira binds this component as its profile source while it activates, so getting
     * its service back then would be a cycle (SCR reports it).
     */
    private final Supplier<Cira> cira;
    private final LazyCira lazy;

    /** The Cira service, got on first use and kept while it stays the registered one. */
    static final class LazyCira implements Supplier<Cira> {
        private final BundleContext context;
        private ServiceReference<Cira> held;
        private Cira service;

        LazyCira(BundleContext context) {
            this.context = context;
        }

        @Override
        public synchronized Cira get() {
            ServiceReference<Cira> now = context.getServiceReference(Cira.class);
            if (!java.util.Objects.equals(now, held)) {
                release();
                if (now != null) {
                    service = context.getService(now);
                    held = service == null ? null : now;
                }
            }
            return service;
        }

        synchronized void release() {
            if (held != null) {
                try {
                    context.ungetService(held);
                } catch (IllegalStateException stopping) {
                    // the bundle is stopping
                }
            }
            held = null;
            service = null;
        }
    }

    @Activate
    public RemoteAccessProvider(@Reference Hypervisor hypervisor, Config config, BundleContext context) {
        this(hypervisor, config, new MpsPasswords(), new LazyCira(context));
    }

    private RemoteAccessProvider(Hypervisor hypervisor, Config config, MpsPasswords passwords, LazyCira lazy) {
        this(hypervisor, config, passwords, lazy, lazy);
    }

    RemoteAccessProvider(Hypervisor hypervisor, Config config, MpsPasswords passwords, Supplier<Cira> cira) {
        this(hypervisor, config, passwords, null, cira);
    }

    private RemoteAccessProvider(Hypervisor hypervisor, Config config, MpsPasswords passwords, LazyCira lazy,
                                 Supplier<Cira> cira) {
        this.hypervisor = hypervisor;
        this.store = new StateStore<>(hypervisor, RemoteAccessState.STATE);
        this.certificates = new StateStore<>(hypervisor, AddedCertificates.STATE);
        this.passwords = passwords;
        this.intranetDomains = domains(config.intranetDomains());
        this.lazy = lazy;
        this.cira = cira;
    }

    @Deactivate
    public void deactivate() {
        if (lazy != null) {
            lazy.release();
        }
    }

    @Modified
    public void modified(Config config) {
        List<String> before = intranetDomains;
        intranetDomains = domains(config.intranetDomains());
        if (!before.equals(intranetDomains)) {
            Cira c = cira.get();
            if (c != null) {
                c.refresh(null);   // environment detection may say otherwise now
            }
        }
    }

    private static List<String> domains(String text) {
        List<String> out = new ArrayList<>();
        for (String d : (text == null ? "" : text).split(",")) {
            String t = d.trim().toLowerCase(Locale.ROOT);
            while (t.startsWith(".")) {
                t = t.substring(1);
            }
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------ reading

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        Machines.require(hypervisor, ctx);
        String cls = className.toLowerCase(Locale.ROOT);
        if (cls.equals("ips_httpproxyservice") || cls.equals("ips_httpproxyaccesspoint")) {
            return List.of();   // no proxy: vAMT dials its MPSes directly
        }
        if (cls.equals(CAPABILITIES.toLowerCase(Locale.ROOT))) {
            return List.of(CimInstance.builder(CAPABILITIES)
                    .key("InstanceID", CAPABILITIES_ID)
                    .property("ElementName", CAPABILITIES_ID)
                    .property("MaxMpsPerPolicy", MAX_MPS_PER_POLICY)
                    .property("MaxTotalMpServers", MAX_MP_SERVERS)
                    .property("MaxTotalPolicies", MAX_POLICIES)
                    .property("MaxTotalProxyEntryPoints", MAX_PROXY_ENTRY_POINTS)
                    .build());
        }
        RemoteAccessState s = read(ctx);
        List<CimInstance> out = new ArrayList<>();
        switch (cls) {
            case "amt_remoteaccessservice" -> {
                Optional<Cira.Tunnel> t = tunnel(ctx.machineId());
                boolean connected = t.isPresent() && t.get().state() == Cira.State.CONNECTED;
                out.add(AmtNames.amtService(SERVICE, SERVICE_NAME)
                        .property("ElementName", SERVICE_NAME)
                        .property("IsRemoteTunnelConnected", connected)
                        // AMT reports 0xFFFFFFFF while no tunnel is up
                        .property("RemoteTunnelKeepAliveTimeout", connected ? KEEP_ALIVE_SECONDS : 4294967295L)
                        .build());
            }
            case "amt_managementpresenceremotesap" -> s.servers().forEach(v -> out.add(sap(v)));
            case "amt_mpsusernamepassword" -> s.servers().forEach(v -> out.add(CimInstance.builder(CREDENTIAL)
                    .key("InstanceID", CREDENTIAL_PREFIX + v.handle())
                    .property("RemoteID", v.user())
                    .build()));   // Secret is write-only: never returned
            case "amt_remoteaccesscredentialcontext" -> s.servers().forEach(v -> out.add(
                    CimInstance.builder(CREDENTIAL_CONTEXT)
                            .key("ElementInContext", CimObjectPath.of(CREDENTIAL, "InstanceID", CREDENTIAL_PREFIX + v.handle()))
                            .key("ElementProvidingContext", sapPath(v.handle()))
                            .build()));
            case "amt_remoteaccesspolicyrule" -> s.policies().forEach(p -> out.add(rule(p)));
            case "amt_remoteaccesspolicyappliestomps" -> {
                for (Policy p : s.policies()) {
                    for (Link l : p.servers()) {
                        out.add(CimInstance.builder(APPLIES)
                                .key("ManagedElement", sapPath(l.server()))
                                .key("PolicySet", rulePath(p.trigger()))
                                .property("MpsType", l.mpsType())
                                .property("OrderOfAccess", l.orderOfAccess())
                                .build());
                    }
                }
            }
            case "amt_environmentdetectionsettingdata" -> {
                Environment e = s.environment();
                CimInstance.Builder b = CimInstance.builder(ENVIRONMENT)
                        .key("InstanceID", ENVIRONMENT_ID)
                        .property("ElementName", ENVIRONMENT_ID)
                        .property("DetectionAlgorithm", e == null ? 0L : e.detectionAlgorithm());
                if (e != null && !e.detectionStrings().isEmpty()) {
                    b.property("DetectionStrings", e.detectionStrings());
                }
                if (e != null && !e.ipv6Prefixes().isEmpty()) {
                    b.property("DetectionIPv6LocalPrefixes", e.ipv6Prefixes());
                }
                out.add(b.build());
            }
            case "amt_userinitiatedconnectionservice" -> out.add(AmtNames.amtService(USER_INITIATED, USER_INITIATED_NAME)
                    .property("ElementName", USER_INITIATED_NAME)
                    .property("EnabledState", userInitiated(s))
                    .build());
            default -> { }
        }
        return out;
    }

    private static long userInitiated(RemoteAccessState s) {
        return s.userInitiated() == 0 ? ALL_DISABLED : s.userInitiated();
    }

    private static CimInstance sap(Server v) {
        CimInstance.Builder b = CimInstance.builder(SAP)
                .key("CreationClassName", SAP)
                .key("Name", SAP_PREFIX + v.handle())
                .key("SystemCreationClassName", AmtNames.COMPUTER_SYSTEM)
                .key("SystemName", AmtNames.AMT_SYSTEM)
                .property("AccessInfo", v.accessInfo())
                .property("ElementName", SAP_ELEMENT_NAME)
                .property("InfoFormat", v.infoFormat())
                .property("Port", v.port());
        if (v.cn() != null && !v.cn().isEmpty()) {
            b.property("CN", v.cn());
        }
        return b.build();
    }

    static CimObjectPath sapPath(int handle) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("CreationClassName", SAP);
        keys.put("Name", SAP_PREFIX + handle);
        keys.put("SystemCreationClassName", AmtNames.COMPUTER_SYSTEM);
        keys.put("SystemName", AmtNames.AMT_SYSTEM);
        return new CimObjectPath(SAP, keys);
    }

    static CimObjectPath rulePath(int trigger) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("CreationClassName", RULE);
        keys.put("PolicyRuleName", ruleName(trigger));
        keys.put("SystemCreationClassName", AmtNames.COMPUTER_SYSTEM);
        keys.put("SystemName", AmtNames.AMT_SYSTEM);
        return new CimObjectPath(RULE, keys);
    }

    /** AMT names a policy after its trigger (MeshCentral reads the first word). */
    static String ruleName(int trigger) {
        return switch (trigger) {
            case TRIGGER_USER_INITIATED -> "User Initiated";
            case TRIGGER_ALERT -> "Alert";
            default -> "Periodic";
        };
    }

    private static CimInstance rule(Policy p) {
        CimInstance.Builder b = CimInstance.builder(RULE)
                .key("CreationClassName", RULE)
                .key("PolicyRuleName", ruleName(p.trigger()))
                .key("SystemCreationClassName", AmtNames.COMPUTER_SYSTEM)
                .key("SystemName", AmtNames.AMT_SYSTEM)
                .property("ElementName", RULE_ELEMENT_NAME)
                .property("Trigger", p.trigger())
                .property("TunnelLifeTime", p.tunnelLifeTime());
        if (p.extendedData() != null && !p.extendedData().isEmpty()) {
            b.property("ExtendedData", p.extendedData());
        }
        return b.build();
    }

    private Optional<Cira.Tunnel> tunnel(String uuid) {
        Cira c = cira.get();
        if (c == null) {
            return Optional.empty();
        }
        return c.tunnels().stream().filter(t -> t.vmUuid().equalsIgnoreCase(uuid)).findFirst();
    }

    private RemoteAccessState read(RequestContext ctx) throws CimException {
        try {
            return store.get(ctx.machineId());
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    // ------------------------------------------------------------------ methods

    @Override
    @SuppressWarnings("unchecked")
    public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                     Map<String, Object> arguments) throws CimException {
        Machines.require(hypervisor, ctx);
        String cls = target.className();
        String m = method.toLowerCase(Locale.ROOT);
        if (cls.equalsIgnoreCase(SERVICE)) {
            switch (m) {
                case "addmpserver":
                    return addMpServer(ctx, arguments);
                case "addremoteaccesspolicyrule":
                    return addPolicy(ctx, arguments);
                case "closeremoteaccessconnection":
                    Cira c = cira.get();
                    if (c != null) {
                        c.refresh(ctx.machineId());   // dropped now; dialled again as its set-up says
                    }
                    LOG.info("VM {}: {} closed the CIRA connection", ctx.machineName(), ctx.user());
                    return MethodResult.of(SUCCESS);
                default:
                    break;
            }
        } else if (cls.equalsIgnoreCase(USER_INITIATED) && m.equals("requeststatechange")) {
            return userInitiatedState(ctx, number(arguments.get("RequestedState")));
        }
        throw new CimException(CimStatus.METHOD_NOT_AVAILABLE, method + " on " + cls);
    }

    private MethodResult addMpServer(RequestContext ctx, Map<String, Object> a) throws CimException {
        String accessInfo = text(a.get("AccessInfo"));
        Long infoFormat = number(a.get("InfoFormat"));
        Long port = number(a.get("Port"));
        Long authMethod = number(a.get("AuthMethod"));
        String user = text(a.get("Username"));
        String password = text(a.get("Password"));
        String cn = text(a.get("CN"));
        String why = null;
        if (accessInfo == null || accessInfo.isBlank() || infoFormat == null || !validAddress(accessInfo.trim(), infoFormat)) {
            why = "AccessInfo is not an address or host name of its InfoFormat (3 IPv4, 4 IPv6, 201 FQDN)";
        } else if (port == null || port < 1 || port > 65535) {
            why = "Port must be 1-65535";
        } else if (authMethod == null || (authMethod != 1 && authMethod != 2)) {
            why = "AuthMethod must be 1 (mutual) or 2 (user name and password)";
        } else if (authMethod == 2 && !validUser(user)) {
            why = "Username must be 1-16 ASCII characters";
        } else if (authMethod == 2 && (password == null || password.length() < 8 || password.length() > 16)) {
            why = "Password must have 8-16 characters";
        } else if (cn != null && cn.length() > 256) {
            why = "CN is longer than 256 characters";
        }
        if (why != null) {
            LOG.info("VM {}: AddMpServer from {} refused: {}", ctx.machineName(), ctx.user(), why);
            return MethodResult.of(INVALID_PARAMETER);
        }
        if (authMethod == 1) {
            // a client certificate vAMT would present: not supported (cira.md: MeshCentral's certificate mode)
            LOG.info("VM {}: AddMpServer from {} refused: mutual authentication is not supported", ctx.machineName(), ctx.user());
            return MethodResult.of(UNSUPPORTED);
        }
        String host = accessInfo.trim();
        String sealed = passwords.seal(ctx.machineId(), password);
        int[] created = new int[1];
        try {
            store.modify(ctx.machineId(), s -> {
                if (s.servers().stream().anyMatch(v -> v.accessInfo().equalsIgnoreCase(host) && v.port() == port)) {
                    throw new Refused(DUPLICATE, "an MPS " + host + ":" + port + " exists already");
                }
                if (s.servers().size() >= MAX_MP_SERVERS) {
                    throw new Refused(MAX_LIMIT_REACHED, MAX_MP_SERVERS + " MPSes are set up already");
                }
                int handle = s.servers().stream().mapToInt(Server::handle).max().orElse(-1) + 1;
                created[0] = handle;
                List<Server> servers = new ArrayList<>(s.servers());
                servers.add(new Server(handle, host, infoFormat.intValue(), port.intValue(), authMethod.intValue(),
                        cn == null || cn.isBlank() ? null : cn.trim(), user, sealed));
                return new RemoteAccessState(servers, s.policies(), s.userInitiated(), s.environment());
            });
        } catch (Refused r) {
            LOG.info("VM {}: AddMpServer from {} refused: {}", ctx.machineName(), ctx.user(), r.getMessage());
            return MethodResult.of(r.status);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("VM {}: {} added MPS {} ({}:{}, user {})", ctx.machineName(), ctx.user(), SAP_PREFIX + created[0],
                host, port, user);
        changed(ctx);
        return new MethodResult(SUCCESS, Map.of("MpServer", sapPath(created[0])));
    }

    private MethodResult addPolicy(RequestContext ctx, Map<String, Object> a) throws CimException {
        Long trigger = number(a.get("Trigger"));
        Long lifetime = number(a.get("TunnelLifeTime"));
        String extended = text(a.get("ExtendedData"));
        List<CimObjectPath> mps = paths(a.get("MpServer"));
        String why = null;
        if (trigger == null || trigger < 0 || trigger > 3) {
            why = "Trigger must be 0-3";
        } else if (trigger == 3) {
            why = "home provisioning is not supported";
        } else if (lifetime == null || lifetime < 0 || lifetime > 4294967295L) {
            why = "TunnelLifeTime must be a uint32";
        } else if (mps.isEmpty() || mps.size() > MAX_MPS_PER_POLICY) {
            why = "MpServer must name 1-" + MAX_MPS_PER_POLICY + " MPSes";
        } else if (trigger == TRIGGER_PERIODIC && periodicSeconds(extended) < 0) {
            why = "ExtendedData of a periodic policy must be u32 0 + u32 seconds, or u32 1 + u32 hour + u32 minute";
        }
        if (why != null) {
            LOG.info("VM {}: AddRemoteAccessPolicyRule from {} refused: {}", ctx.machineName(), ctx.user(), why);
            return MethodResult.of(INVALID_PARAMETER);
        }
        int t = trigger.intValue();
        try {
            store.modify(ctx.machineId(), s -> {
                List<Link> links = new ArrayList<>();
                for (CimObjectPath p : mps) {
                    Object name = p.key("Name");
                    Server v = s.servers().stream().filter(x -> (SAP_PREFIX + x.handle()).equals(name)).findFirst()
                            .orElseThrow(() -> new Refused(INVALID_PARAMETER, "no MPS " + name));
                    if (links.stream().anyMatch(l -> l.server() == v.handle())) {
                        throw new Refused(INVALID_PARAMETER, "MPS " + name + " given twice");
                    }
                    links.add(new Link(v.handle(), links.size(), 0));
                }
                if (s.policies().stream().anyMatch(p -> p.trigger() == t)) {
                    throw new Refused(DUPLICATE, "a " + ruleName(t) + " policy exists already");
                }
                if (s.policies().size() >= MAX_POLICIES) {
                    throw new Refused(MAX_LIMIT_REACHED, MAX_POLICIES + " policies are set up already");
                }
                List<Policy> policies = new ArrayList<>(s.policies());
                policies.add(new Policy(t, lifetime, extended == null ? "" : extended.strip(), links));
                return new RemoteAccessState(s.servers(), policies, s.userInitiated(), s.environment());
            });
        } catch (Refused r) {
            LOG.info("VM {}: AddRemoteAccessPolicyRule from {} refused: {}", ctx.machineName(), ctx.user(), r.getMessage());
            return MethodResult.of(r.status);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("VM {}: {} added the {} remote access policy", ctx.machineName(), ctx.user(), ruleName(t));
        changed(ctx);
        return new MethodResult(SUCCESS, Map.of("PolicyRule", rulePath(t)));
    }

    private MethodResult userInitiatedState(RequestContext ctx, Long requested) throws CimException {
        if (requested == null || requested < ALL_DISABLED || requested > BIOS_AND_OS_ENABLED) {
            return MethodResult.of(INVALID_PARAMETER);
        }
        try {
            store.update(ctx.machineId(), s -> new RemoteAccessState(s.servers(), s.policies(), requested, s.environment()));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        LOG.info("VM {}: {} set user-initiated connections to {}", ctx.machineName(), ctx.user(), requested);
        changed(ctx);
        return MethodResult.of(SUCCESS);
    }

    /**
     * The first delay of a periodic policy: the interval (format 0), a day (format 1: AMT dials at
     * that time of day; vAMT keeps the tunnel up and redials a dropped one after a day at most);
     * -1 when the data is not one of the two forms.
     */
    static long periodicSeconds(String base64) {
        if (base64 == null || base64.isBlank()) {
            return -1;
        }
        byte[] b;
        try {
            b = Base64.getMimeDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            return -1;
        }
        ByteBuffer buf = ByteBuffer.wrap(b);
        if (b.length == 8 && buf.getInt(0) == 0) {
            long seconds = Integer.toUnsignedLong(buf.getInt(4));
            return seconds >= 1 ? seconds : -1;
        }
        if (b.length == 12 && buf.getInt(0) == 1) {
            int hour = buf.getInt(4);
            int minute = buf.getInt(8);
            return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 ? 86400 : -1;
        }
        return -1;
    }

    // ------------------------------------------------------------------ Put and Delete

    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified) throws CimException {
        Machines.require(hypervisor, ctx);
        String cls = current.className();
        try {
            if (cls.equalsIgnoreCase(ENVIRONMENT)) {
                Environment e = environment(modified);
                store.update(ctx.machineId(), s -> new RemoteAccessState(s.servers(), s.policies(), s.userInitiated(), e));
                LOG.info("VM {}: {} set environment detection to {}", ctx.machineName(), ctx.user(), e.detectionStrings());
            } else if (cls.equalsIgnoreCase(APPLIES)) {
                int server = handleOf(((CimObjectPath) current.get("ManagedElement")).key("Name"));
                String rule = String.valueOf(((CimObjectPath) current.get("PolicySet")).key("PolicyRuleName"));
                long type = requireRange(modified.get("MpsType"), 0, 2, "MpsType");
                long order = requireRange(modified.get("OrderOfAccess"), 0, MAX_MPS_PER_POLICY - 1, "OrderOfAccess");
                store.update(ctx.machineId(), s -> {
                    List<Policy> policies = new ArrayList<>();
                    for (Policy p : s.policies()) {
                        if (!ruleName(p.trigger()).equals(rule)) {
                            policies.add(p);
                            continue;
                        }
                        List<Link> links = new ArrayList<>();
                        for (Link l : p.servers()) {
                            links.add(l.server() == server ? new Link(server, (int) order, (int) type) : l);
                        }
                        policies.add(new Policy(p.trigger(), p.tunnelLifeTime(), p.extendedData(), links));
                    }
                    return new RemoteAccessState(s.servers(), policies, s.userInitiated(), s.environment());
                });
            } else if (cls.equalsIgnoreCase(CREDENTIAL)) {
                int handle = handleOf(current.get("InstanceID"));
                String user = text(modified.get("RemoteID"));
                String secret = text(modified.get("Secret"));
                if (!validUser(user)) {
                    throw new CimException(CimStatus.INVALID_PARAMETER, "RemoteID must be 1-16 ASCII characters");
                }
                if (secret != null && (secret.length() < 8 || secret.length() > 16)) {
                    throw new CimException(CimStatus.INVALID_PARAMETER, "Secret must have 8-16 characters");
                }
                String sealed = secret == null ? null : passwords.seal(ctx.machineId(), secret);
                store.update(ctx.machineId(), s -> {
                    List<Server> servers = new ArrayList<>();
                    for (Server v : s.servers()) {
                        servers.add(v.handle() == handle
                                ? v.withCredentials(user, sealed == null ? v.sealedPassword() : sealed) : v);
                    }
                    return new RemoteAccessState(servers, s.policies(), s.userInitiated(), s.environment());
                });
                LOG.info("VM {}: {} changed the credentials of MPS {}", ctx.machineName(), ctx.user(), SAP_PREFIX + handle);
            } else {
                throw new CimException(CimStatus.NOT_SUPPORTED, "Put of " + cls);
            }
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        changed(ctx);
        return enumerateInstances(ctx, cls).stream()
                .filter(i -> current.keyNames().stream().allMatch(k -> Objects.equals(String.valueOf(i.get(k)),
                        String.valueOf(current.get(k)))))
                .findFirst().orElse(current);
    }

    private static Environment environment(CimInstance i) throws CimException {
        long algorithm = requireRange(i.get("DetectionAlgorithm") == null ? 0L : i.get("DetectionAlgorithm"), 0, 1,
                "DetectionAlgorithm");
        List<String> strings = strings(i.get("DetectionStrings"));
        if (strings.size() > MAX_DETECTION_STRINGS
                || strings.stream().anyMatch(x -> x.isEmpty() || x.length() > MAX_DETECTION_STRING_LENGTH)) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "DetectionStrings: at most " + MAX_DETECTION_STRINGS
                    + " strings of 1-" + MAX_DETECTION_STRING_LENGTH + " characters");
        }
        List<String> prefixes = strings(i.get("DetectionIPv6LocalPrefixes"));
        if (prefixes.size() > MAX_DETECTION_STRINGS || prefixes.stream().anyMatch(x -> x.length() > 64)) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "DetectionIPv6LocalPrefixes: too many or too long");
        }
        return new Environment(algorithm, strings, prefixes);
    }

    @Override
    public void deleteInstance(RequestContext ctx, CimInstance instance) throws CimException {
        Machines.require(hypervisor, ctx);
        String cls = instance.className();
        try {
            if (cls.equalsIgnoreCase(RULE)) {
                String name = String.valueOf(instance.get("PolicyRuleName"));
                store.modify(ctx.machineId(), s -> {
                    List<Policy> policies = new ArrayList<>(s.policies());
                    if (!policies.removeIf(p -> ruleName(p.trigger()).equals(name))) {
                        throw new CimException(CimStatus.NOT_FOUND, "no policy " + name);
                    }
                    return new RemoteAccessState(s.servers(), policies, s.userInitiated(), s.environment());
                });
                LOG.info("VM {}: {} deleted the {} remote access policy", ctx.machineName(), ctx.user(), name);
            } else if (cls.equalsIgnoreCase(SAP)) {
                int handle = handleOf(instance.get("Name"));
                store.modify(ctx.machineId(), s -> {
                    if (s.policies().stream().anyMatch(p -> p.servers().stream().anyMatch(l -> l.server() == handle))) {
                        // AMT: an MPS a policy names is not removed ("not permitted")
                        throw new CimException(CimStatus.ACCESS_DENIED, SAP_PREFIX + handle
                                + " is named by a remote access policy: delete the policy first");
                    }
                    List<Server> servers = new ArrayList<>(s.servers());
                    if (!servers.removeIf(v -> v.handle() == handle)) {
                        throw new CimException(CimStatus.NOT_FOUND, "no MPS " + SAP_PREFIX + handle);
                    }
                    return new RemoteAccessState(servers, s.policies(), s.userInitiated(), s.environment());
                });
                LOG.info("VM {}: {} deleted MPS {}", ctx.machineName(), ctx.user(), SAP_PREFIX + handle);
            } else {
                throw new CimException(CimStatus.NOT_SUPPORTED, "Delete of " + cls);
            }
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        changed(ctx);
    }

    /** The tunnel follows the set-up at once: vamt-cira asks {@link #profile} again. */
    private void changed(RequestContext ctx) {
        try {
            RemoteAccessState s = store.get(ctx.machineId());
            if (s.servers().isEmpty()) {
                LOG.info("VM {}: no MPS set up by a console: the operator's CIRA configuration applies", ctx.machineName());
            } else {
                Decision d = decide(ctx.machineId(), s);
                if (d.profile() != null) {
                    LOG.info("VM {}: CIRA as its console set it up: dials {}", ctx.machineName(), d.profile().servers().get(0));
                } else {
                    LOG.info("VM {}: CIRA as its console set it up: does not dial ({})", ctx.machineName(), d.why());
                }
            }
        } catch (HypervisorException | RuntimeException e) {
            LOG.debug("VM {}: CIRA set-up not read back: {}", ctx.machineName(), e.getMessage());
        }
        Cira c = cira.get();
        if (c != null) {
            try {
                c.refresh(ctx.machineId());
            } catch (RuntimeException e) {
                LOG.warn("VM {}: the CIRA tunnel could not follow the new set-up: {}", ctx.machineName(), e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ the VM's CIRA profile

    @Override
    public Optional<CiraProfile> profile(String vmUuid, String vmName) {
        RemoteAccessState s;
        try {
            s = store.get(vmUuid);
        } catch (HypervisorException | RuntimeException e) {
            LOG.warn("CIRA VM '{}': its console set-up cannot be read ({}); the operator's configuration applies",
                    vmName, e.getMessage());
            return Optional.empty();
        }
        if (s.servers().isEmpty()) {
            return Optional.empty();   // no console set it up: the operator's configuration (if any) applies
        }
        Decision d = decide(vmUuid, s);
        if (d.profile == null) {
            LOG.debug("CIRA VM '{}': set up by a console, not dialling: {}", vmName, d.why);
            return Optional.of(new CiraProfile(false, List.of(), null, KEEP_ALIVE_SECONDS));
        }
        return Optional.of(d.profile);
    }

    /** A profile, or why there is none. */
    record Decision(CiraProfile profile, String why) {
    }

    Decision decide(String vmUuid, RemoteAccessState s) {
        Policy periodic = policy(s, TRIGGER_PERIODIC);
        Policy user = policy(s, TRIGGER_USER_INITIATED);
        Policy chosen = periodic != null ? periodic : user != null && userInitiated(s) != ALL_DISABLED ? user : null;
        if (chosen == null || chosen.servers().isEmpty()) {
            return new Decision(null, "no periodic policy, and no user-initiated one while the user-initiated "
                    + "connection service allows it");
        }
        String inside = inside(s.environment());
        if (inside != null) {
            return new Decision(null, "environment detection says inside (" + inside + " is an intranet domain)");
        }
        List<byte[]> roots;
        try {
            roots = certificates.get(vmUuid).trustedRoots();
        } catch (HypervisorException e) {
            return new Decision(null, "its trusted roots cannot be read: " + e.getMessage());
        }
        if (roots.isEmpty()) {
            return new Decision(null, "no trusted root certificate (AddTrustedRootCertificate) to check the MPS by");
        }
        List<CiraProfile.Mps> servers = new ArrayList<>();
        List<Link> links = new ArrayList<>(chosen.servers());
        links.sort(Comparator.comparingInt(Link::orderOfAccess));
        for (Link l : links) {
            Optional<Server> v = s.servers().stream().filter(x -> x.handle() == l.server()).findFirst();
            if (v.isEmpty()) {
                continue;
            }
            try {
                servers.add(new CiraProfile.Mps(v.get().accessInfo(), v.get().port(), v.get().user(),
                        passwords.open(vmUuid, v.get().sealedPassword())));
            } catch (CimException | IllegalArgumentException e) {
                return new Decision(null, "the credentials of " + SAP_PREFIX + l.server() + " cannot be used: "
                        + e.getMessage());
            }
        }
        if (servers.isEmpty()) {
            return new Decision(null, "the policy names no MPS that exists");
        }
        long redial = chosen == periodic ? periodicSeconds(chosen.extendedData()) : 0;
        return new Decision(new CiraProfile(true, servers, new CiraProfile.Trust(pem(roots), null), KEEP_ALIVE_SECONDS,
                (int) Math.max(0, Math.min(redial, 86400))), null);
    }

    private static Policy policy(RemoteAccessState s, int trigger) {
        return s.policies().stream().filter(p -> p.trigger() == trigger).findFirst().orElse(null);
    }

    /** The intranet domain one of the detection strings is in, or null: outside. */
    private String inside(Environment e) {
        if (e == null) {
            return null;
        }
        for (String d : e.detectionStrings()) {
            String t = d.trim().toLowerCase(Locale.ROOT);
            for (String intranet : intranetDomains) {
                if (t.equals(intranet) || t.endsWith("." + intranet)) {
                    return t;
                }
            }
        }
        return null;
    }

    private static String pem(List<byte[]> ders) {
        StringBuilder s = new StringBuilder();
        Base64.Encoder enc = Base64.getMimeEncoder(64, new byte[] {'\n'});
        for (byte[] der : ders) {
            s.append("-----BEGIN CERTIFICATE-----\n").append(enc.encodeToString(der)).append("\n-----END CERTIFICATE-----\n");
        }
        return s.toString();
    }

    // ------------------------------------------------------------------ helpers

    /** A refusal inside a compare-and-set, with its AMT status code. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final long status;

        Refused(long status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static boolean validAddress(String accessInfo, long infoFormat) {
        if (accessInfo.length() > 256) {
            return false;
        }
        return switch ((int) infoFormat) {
            case 3 -> IPV4.matcher(accessInfo).matches();
            case 4 -> accessInfo.contains(":") && accessInfo.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
            case 201 -> HOST_NAME.matcher(accessInfo).matches() && !IPV4.matcher(accessInfo).matches();
            default -> false;
        };
    }

    private static boolean validUser(String user) {
        return user != null && !user.isEmpty() && user.length() <= 16 && user.chars().allMatch(c -> c >= 32 && c <= 126);
    }

    private static int handleOf(Object name) throws CimException {
        String t = String.valueOf(name);
        int i = t.lastIndexOf(' ');
        try {
            return Integer.parseInt(t.substring(i + 1));
        } catch (NumberFormatException e) {
            throw new CimException(CimStatus.NOT_FOUND, "no instance " + t);
        }
    }

    private static long requireRange(Object value, long min, long max, String name) throws CimException {
        Long n = number(value);
        if (n == null || n < min || n > max) {
            throw new CimException(CimStatus.INVALID_PARAMETER, name + " must be " + min + "-" + max);
        }
        return n;
    }

    private static String text(Object o) {
        if (o instanceof List<?> l) {
            return l.isEmpty() ? null : text(l.get(0));
        }
        return o == null ? null : String.valueOf(o);
    }

    private static Long number(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        if (o instanceof String t && !t.isBlank()) {
            try {
                return Long.parseLong(t.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            l.forEach(x -> out.add(String.valueOf(x).trim()));
        } else if (o != null) {
            out.add(String.valueOf(o).trim());
        }
        out.removeIf(String::isEmpty);
        return out;
    }

    private static List<CimObjectPath> paths(Object o) {
        List<CimObjectPath> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            l.forEach(x -> {
                if (x instanceof CimObjectPath p) {
                    out.add(p);
                }
            });
        } else if (o instanceof CimObjectPath p) {
            out.add(p);
        }
        return out;
    }
}
