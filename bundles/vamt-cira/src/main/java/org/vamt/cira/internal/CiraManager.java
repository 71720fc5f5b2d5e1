package org.vamt.cira.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cira.Cira;
import org.vamt.cira.CiraProfile;
import org.vamt.cira.CiraProfileSource;
import org.vamt.endpoints.TunnelDoor;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.MachineEvent;
import org.vamt.hypervisor.MachineId;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachinesListed;
import org.vamt.hypervisor.MachineListener;
import org.vamt.security.seal.Sealer;

/**
 * The fleet: one CIRA tunnel per VM that its profile enables (the operator's configuration, PID
 * {@code org.vamt.cira}, for the VMs its {@code vms} filter names; a {@link CiraProfileSource}
 * first). Tunnels follow the hypervisor's define and undefine events; a failed attempt is retried
 * after an exponential back-off with jitter (so that thousands of VMs do not stampede an MPS that
 * restarts); at most {@code maxConcurrentHandshakes} TLS handshakes run at once. Each tunnel has
 * one reader thread (small stack) blocked in its socket; keep-alives and retries run on two shared
 * timer threads.
 */
@Component(service = {Cira.class, MachineListener.class}, immediate = true, configurationPid = CiraManager.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = CiraManager.Config.class)
public class CiraManager implements Cira, MachineListener {
    static final String PID = "org.vamt.cira";
    /** The key that seals the MPS password, under Karaf's etc/. */
    static final String KEY_FILE = "vamt-cira.key";
    private static final String SEAL_CONTEXT = "vamt cira mps password";
    private static final Logger LOG = LoggerFactory.getLogger(CiraManager.class);

    @ObjectClassDefinition(name = "vAMT CIRA", description = "VMs dial out to a Management Presence Server")
    public @interface Config {
        @AttributeDefinition(description = "Whether the VMs named by vms dial the MPS")
        boolean enabled() default false;

        @AttributeDefinition(description = "The MPS's host name or address (checked against its certificate)")
        String mpsHost() default "";

        @AttributeDefinition(description = "The MPS's port (MeshCentral and Intel DMT: 4433)")
        int mpsPort() default 4433;

        @AttributeDefinition(description = "The CIRA user name (MeshCentral: the first 16 characters of the device "
                + "group's id; DMT: the device's MPS user name), at most 16 ASCII characters")
        String user() default "";

        @AttributeDefinition(description = "The MPS password, sealed (aesgcm:...); a password written in clear is "
                + "sealed and rewritten at once. Set it with vamt:cira-password", type = org.osgi.service.metatype
                .annotations.AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(description = "PEM file of the root certificates the MPS's certificate must chain to "
                + "(relative paths: under Karaf's etc/)")
        String trustPemFile() default "";

        @AttributeDefinition(description = "Or: SHA-256 of a certificate of the MPS's chain (its leaf, or a CA it "
                + "sends), 64 hex digits, colons allowed; several comma separated")
        String trustSha256() default "";

        @AttributeDefinition(description = "Which VMs dial: names or globs (* and ?), comma separated; * = all")
        String vms() default "*";

        @AttributeDefinition(description = "Seconds between the device's keep-alives (the MPS may ask for less)")
        int keepAliveSeconds() default 30;

        @AttributeDefinition(description = "TLS handshakes to the MPS running at once, at most")
        int maxConcurrentHandshakes() default 8;

        @AttributeDefinition(description = "First retry delay after a failed attempt, in seconds; doubled per "
                + "failure, with jitter")
        int backoffMinSeconds() default 2;

        @AttributeDefinition(description = "Longest retry delay, in seconds")
        int backoffMaxSeconds() default 300;
    }

    /** One VM's supervision: its current tunnel, state and back-off. */
    private final class Slot {
        final String uuid;
        volatile String name;
        volatile State state = State.CONNECTING;
        volatile Instant since = Instant.now();
        volatile String lastError;
        volatile int failures;
        volatile Instant nextAttempt;
        volatile CiraTunnel tunnel;
        volatile ScheduledFuture<?> retry;
        volatile boolean stopped;
        volatile String mps;
        /** Which of the profile's MPSes the next attempt dials (modulo their number): a failed attempt moves on. */
        volatile int serverIndex;

        Slot(String uuid, String name) {
            this.uuid = uuid;
            this.name = name;
        }
    }

    private final Hypervisor hypervisor;
    private final TunnelDoor door;
    private final ConfigurationAdmin configAdmin;
    private final List<CiraProfileSource> sources = new CopyOnWriteArrayList<>();
    /** Who serves which AMT port through a tunnel (endpoints: 16992/16993; redirection: 16994). */
    private final Map<Integer, TunnelDoor> doors = new ConcurrentHashMap<>();
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers;
    private final AtomicInteger threadNumber = new AtomicInteger();
    private volatile Config config;
    private volatile Semaphore handshakes;
    private volatile Pattern vmFilter;
    /** The operator's profile; null when disabled or unusable (the reason was logged). */
    private volatile CiraProfile operatorProfile;
    private volatile SSLContext operatorTls;
    /** Whether whole-VM listings may run: after the endpoint map's first listing (see {@link MachinesListed}). */
    private final java.util.concurrent.atomic.AtomicBoolean listingsAllowed =
            new java.util.concurrent.atomic.AtomicBoolean();
    private final ScheduledFuture<?> listingsFallback;

    @Activate
    public CiraManager(@Reference Hypervisor hypervisor,
                       @Reference(target = "(vamt.tunnel.ports=16992)") TunnelDoor door, Config config,
                       @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
                       ConfigurationAdmin configAdmin) {
        this.hypervisor = hypervisor;
        doors.put(TunnelDoor.HTTP_PORT, door);
        doors.put(TunnelDoor.TLS_PORT, door);
        this.door = (vm, port, peer, sink) -> {
            TunnelDoor d = doors.get(port);
            return d == null ? Optional.empty() : d.open(vm, port, peer, sink);
        };
        this.configAdmin = configAdmin;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(2, r -> {
            Thread th = new Thread(r, "vamt-cira-timer");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timers = t;
        this.listingsFallback = t.schedule(this::allowListings, MachinesListed.WAIT_AT_MOST_SECONDS, TimeUnit.SECONDS);
        apply(config);
    }

    /**
     * The endpoint map has listed the machines: every VM is considered now. Before, with 10,000 VMs,
     * this listing (and each VM's profile read) slowed the listing every endpoint waits for; VMs
     * defined or started meanwhile dial as their events arrive.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    public void bindMachinesListed(MachinesListed listed) {
        allowListings();
    }

    public void unbindMachinesListed(MachinesListed listed) {
        // listings, once allowed, stay allowed
    }

    private void allowListings() {
        if (timers != null && listingsAllowed.compareAndSet(false, true)) {
            considerAll();
        }
    }

    @Modified
    public void modified(Config next) {
        stopAll();
        apply(next);
    }

    @Deactivate
    public void deactivate() {
        listingsFallback.cancel(false);
        stopAll();
        // delayed tasks still run after shutdown (the closing tunnels' last close), periodic ones stop
        timers.shutdown();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addSource(CiraProfileSource source) {
        sources.add(source);
        reconsiderAll();
    }

    public void removeSource(CiraProfileSource source) {
        sources.remove(source);
        reconsiderAll();
    }

    /** Every VM's profile again (a source came or went): new tunnels dial, tunnels no profile enables close. */
    private void reconsiderAll() {
        if (timers == null || timers.isShutdown() || !listingsAllowed.get()) {
            // called by DS before the constructor finished, or while deactivating; or before the first
            // listing, which considers every VM with the sources then bound
            return;
        }
        timers.execute(() -> {
            try {
                for (MachineId m : hypervisor.listMachineIds()) {
                    Slot s = slots.get(m.uuid().toLowerCase(Locale.ROOT));
                    if (s == null) {
                        consider(m.uuid(), m.name());
                    } else if (profile(m.uuid(), m.name()).filter(CiraProfile::enabled).isEmpty()) {
                        refresh(m.uuid());
                    }
                }
            } catch (HypervisorException | RuntimeException e) {
                LOG.warn("CIRA: cannot list VMs after a configuration source changed ({})", e.getMessage());
            }
        });
    }

    /** Other services of AMT ports (vamt-redirection's 16994), by their vamt.tunnel.ports property. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = "(!(vamt.tunnel.ports=16992))")
    public void addDoor(TunnelDoor door, Map<String, Object> properties) {
        for (int port : ports(properties)) {
            doors.put(port, door);
        }
    }

    public void removeDoor(TunnelDoor door, Map<String, Object> properties) {
        for (int port : ports(properties)) {
            doors.remove(port, door);
        }
    }

    private static List<Integer> ports(Map<String, Object> properties) {
        Object p = properties.get("vamt.tunnel.ports");
        List<Integer> list = new ArrayList<>();
        if (p instanceof Integer i) {
            list.add(i);
        } else if (p instanceof Integer[] a) {
            list.addAll(List.of(a));
        } else if (p instanceof int[] a) {
            for (int i : a) {
                list.add(i);
            }
        } else if (p instanceof java.util.Collection<?> c) {
            c.forEach(x -> list.add(Integer.valueOf(String.valueOf(x))));
        } else if (p != null) {
            list.add(Integer.valueOf(String.valueOf(p)));
        }
        return list;
    }

    private synchronized void apply(Config c) {
        this.config = c;
        this.handshakes = new Semaphore(Math.max(1, c.maxConcurrentHandshakes()));
        this.vmFilter = globs(c.vms());
        operatorProfile = null;
        operatorTls = null;
        if (!c.enabled()) {
            LOG.info("CIRA: operator configuration off (enabled = false in etc/{}.cfg); VMs a console set up "
                    + "still dial", PID);
        } else {
            operatorProfile(c);
        }
        if (listingsAllowed.get()) {
            considerAll();
        }
    }

    /**
     * Every VM dials if a profile enables it. On the timer thread, not in activation (Karaf's
     * start-level thread): with 10,000 VMs the listing and each VM's profile take seconds.
     */
    private void considerAll() {
        try {
            timers.execute(() -> {
                try {
                    for (MachineId m : hypervisor.listMachineIds()) {
                        consider(m.uuid(), m.name());
                    }
                } catch (HypervisorException | RuntimeException e) {
                    LOG.warn("CIRA: cannot list VMs ({}); they dial as their events arrive", e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // deactivated meanwhile
        }
    }

    /** Reads the operator's profile into operatorProfile/operatorTls; logs why not when unusable. */
    private void operatorProfile(Config c) {
        try {
            String password = password(c);
            if (password == null) {
                return;   // sealed and rewritten: the configuration comes back with the sealed form
            }
            CiraProfile.Trust trust = new CiraProfile.Trust(readPem(c.trustPemFile()), c.trustSha256());
            CiraProfile p = new CiraProfile(true, List.of(new CiraProfile.Mps(c.mpsHost().trim(), c.mpsPort(),
                    c.user(), password)), trust, c.keepAliveSeconds());
            operatorTls = tls(p.trust());
            operatorProfile = p;
            LOG.info("CIRA: VMs {} dial {} (trust: {}, keep-alive {} s, back-off {}-{} s, {} handshakes at once)",
                    c.vms(), p.servers().get(0), trustText(p.trust()), c.keepAliveSeconds(), c.backoffMinSeconds(),
                    c.backoffMaxSeconds(), c.maxConcurrentHandshakes());
        } catch (IllegalArgumentException | IOException | GeneralSecurityException e) {
            LOG.error("CIRA: etc/{}.cfg cannot be used, no VM dials by it: {}", PID, e.getMessage());
        }
    }

    private static String trustText(CiraProfile.Trust t) {
        return t.pins() != null && !t.pins().isBlank() ? "SHA-256 pin" : "root certificates";
    }

    private static SSLContext tls(CiraProfile.Trust t) throws GeneralSecurityException {
        MpsTrust trust = t.pins() != null && !t.pins().isBlank() ? MpsTrust.pins(t.pins()) : MpsTrust.roots(t.rootsPem());
        return trust.context();
    }

    private static String readPem(String file) throws IOException {
        if (file == null || file.isBlank()) {
            return null;
        }
        Path p = Paths.get(file.trim());
        if (!p.isAbsolute()) {
            p = Paths.get(System.getProperty("karaf.etc", "etc")).resolve(p);
        }
        return Files.readString(p, StandardCharsets.US_ASCII);
    }

    /** The clear password, or null after sealing a clear one into Config Admin (which calls back). */
    private String password(Config c) throws IOException, GeneralSecurityException {
        String p = c.password();
        if (p == null || p.isEmpty()) {
            throw new IllegalArgumentException("no MPS password (vamt:cira-password sets it)");
        }
        if (Sealer.isSealed(p)) {
            return sealer().unseal(p, SEAL_CONTEXT);
        }
        if (configAdmin == null) {
            return p;   // plain Java (tests): nowhere to keep it sealed
        }
        storeSealed(p.toCharArray());
        LOG.info("CIRA: the MPS password given in clear was sealed in etc/{}.cfg", PID);
        return null;
    }

    private static Sealer sealer() throws IOException {
        return Sealer.open(Paths.get(System.getProperty("karaf.etc", "etc")).resolve(KEY_FILE));
    }

    private void storeSealed(char[] password) throws IOException, GeneralSecurityException {
        if (configAdmin == null) {
            throw new IllegalStateException("no Config Admin to keep the password in");
        }
        String sealed = sealer().seal(new String(password), SEAL_CONTEXT);
        Configuration cfg = configAdmin.getConfiguration(PID, "?");
        Dictionary<String, Object> props = cfg.getProperties() == null ? new Hashtable<>() : cfg.getProperties();
        props.put("password", sealed);
        cfg.update(props);
    }

    @Override
    public void setPassword(char[] password) {
        if (password.length < 8 || password.length > 16) {
            // AMT's rule for MPS passwords (MeshCentral accepts any)
            throw new IllegalArgumentException("an MPS password has 8-16 characters");
        }
        try {
            storeSealed(password);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot store the MPS password: " + e.getMessage(), e);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
        LOG.info("CIRA: MPS password changed (sealed in etc/{}.cfg)", PID);
    }

    /** Globs (* ?) of VM names, comma separated; null = all. */
    static Pattern globs(String text) {
        StringBuilder re = new StringBuilder();
        for (String g : text.split(",")) {
            String t = g.trim();
            if (t.isEmpty()) {
                continue;
            }
            if (t.equals("*")) {
                return null;
            }
            if (re.length() > 0) {
                re.append('|');
            }
            for (char ch : t.toCharArray()) {
                re.append(ch == '*' ? ".*" : ch == '?' ? "." : Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(re.length() == 0 ? "(?!)" : re.toString());
    }

    /** The VM's profile: a source's, else the operator's if the filter names the VM. */
    private Optional<CiraProfile> profile(String uuid, String name) {
        for (CiraProfileSource s : sources) {
            Optional<CiraProfile> p = s.profile(uuid, name);
            if (p.isPresent()) {
                return p;
            }
        }
        CiraProfile p = operatorProfile;
        Pattern f = vmFilter;
        return p != null && (f == null || f.matcher(name).matches()) ? Optional.of(p) : Optional.empty();
    }

    private void consider(String uuid, String name) {
        Optional<CiraProfile> p = profile(uuid, name);
        String key = uuid.toLowerCase(Locale.ROOT);
        if (p.isEmpty() || !p.get().enabled()) {
            Slot gone = slots.remove(key);
            if (gone != null) {
                stop(gone);
            }
            return;
        }
        Slot fresh = new Slot(uuid, name);
        Slot existing = slots.putIfAbsent(key, fresh);
        if (existing == null) {
            dial(fresh);
        } else {
            existing.name = name;
        }
    }

    private void dial(Slot slot) {
        if (slot.stopped) {
            return;
        }
        Optional<CiraProfile> p = profile(slot.uuid, slot.name);
        if (p.isEmpty()) {
            return;
        }
        CiraProfile profile = p.get();
        // AMT dials a policy's MPSes in their order of access: after a failed attempt, the next one (the backup)
        List<CiraProfile.Mps> servers = profile.servers();
        CiraProfile.Mps mps = servers.get(Math.floorMod(slot.serverIndex, servers.size()));
        SSLContext ctx;
        try {
            ctx = profile == operatorProfile ? operatorTls : tls(profile.trust());
        } catch (GeneralSecurityException e) {
            failed(slot, "trust settings unusable: " + e.getMessage(), false);
            return;
        }
        slot.mps = mps.toString();
        slot.state = State.CONNECTING;
        slot.since = Instant.now();
        slot.nextAttempt = null;
        CiraTunnel t = new CiraTunnel(slot.uuid, slot.name, mps, ctx, profile.keepAliveSeconds(), door, timers,
                handshakes, new CiraTunnel.Listener() {
                    @Override
                    public void connected(CiraTunnel tunnel) {
                        if (slot.tunnel != tunnel) {
                            return;
                        }
                        slot.state = State.CONNECTED;
                        slot.since = Instant.now();
                        slot.failures = 0;
                        slot.lastError = null;
                        LOG.info("CIRA VM '{}': connected to {}", slot.name, mps);
                    }

                    @Override
                    public void ended(CiraTunnel tunnel, String error, boolean trustError) {
                        if (slot.tunnel != tunnel || slot.stopped) {
                            return;
                        }
                        boolean wasConnected = slot.state == State.CONNECTED;
                        if (wasConnected) {
                            LOG.info("CIRA VM '{}': connection to {} ended: {}", slot.name, mps, error);
                        }
                        failed(slot, trustError ? "the MPS " + mps.host() + ":" + mps.port()
                                + " is not trusted, not connected, no credentials sent: " + error : error, wasConnected);
                    }
                });
        slot.tunnel = t;
        // one small-stack reader thread per tunnel: it sleeps in the socket's read
        Thread th = new Thread(null, t, "vamt-cira-" + threadNumber.incrementAndGet(), 256 * 1024);
        th.setDaemon(true);
        th.start();
    }

    private void failed(Slot slot, String error, boolean wasConnected) {
        int n = wasConnected ? 1 : slot.failures + 1;
        slot.failures = n;
        String before = slot.lastError;
        slot.lastError = error;
        Config c = config;
        // a console's periodic policy sets the first delay (AMT redials per its interval); still doubled
        // per failure up to the longest back-off, with jitter, so that a fleet does not stampede an MPS
        Optional<CiraProfile> profile = profile(slot.uuid, slot.name);
        int redial = profile.map(CiraProfile::redialSeconds).orElse(0);
        // a failed attempt moves on to the next MPS; the back-off grows once per round of all of them
        int servers = profile.map(x -> x.servers().size()).filter(x -> x > 0).orElse(1);
        if (!wasConnected) {
            slot.serverIndex++;
        }
        int rounds = (n + servers - 1) / servers;
        long delay = redial > 0
                ? backoffMillis(rounds, redial, Math.max(redial, c.backoffMaxSeconds()))
                : backoffMillis(rounds, c.backoffMinSeconds(), c.backoffMaxSeconds());
        slot.state = State.BACKING_OFF;
        slot.since = Instant.now();
        slot.nextAttempt = Instant.now().plusMillis(delay);
        if (!error.equals(before) || n == 1) {
            LOG.warn("CIRA VM '{}': {}; retrying in {} s", slot.name, error, (delay + 999) / 1000);
        } else {
            LOG.debug("CIRA VM '{}': {} (attempt {}); retrying in {} s", slot.name, error, n, (delay + 999) / 1000);
        }
        try {
            slot.retry = timers.schedule(() -> dial(slot), delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // deactivated
        }
    }

    /** Exponential with "equal jitter": half the delay fixed, half random; capped. */
    static long backoffMillis(int failures, int minSeconds, int maxSeconds) {
        long max = Math.max(1, maxSeconds) * 1000L;
        long base = Math.max(1, minSeconds) * 1000L;
        long d = failures >= 31 ? max : Math.min(max, base << Math.max(0, failures - 1));
        return d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1);
    }

    private void stop(Slot slot) {
        slot.stopped = true;
        ScheduledFuture<?> r = slot.retry;
        if (r != null) {
            r.cancel(false);
        }
        CiraTunnel t = slot.tunnel;
        if (t != null) {
            t.close();
        }
    }

    private void stopAll() {
        List<Slot> all = new ArrayList<>(slots.values());
        slots.clear();
        all.forEach(this::stop);
        if (!all.isEmpty()) {
            LOG.info("CIRA: {} tunnels closed", all.size());
        }
    }

    @Override
    public void machineChanged(MachineEvent event) {
        switch (event.type()) {
            case DEFINED -> consider(event.uuid(), event.name());
            case UNDEFINED -> {
                Optional<MachineInfo> still;
                try {
                    still = hypervisor.machine(event.uuid());
                } catch (HypervisorException e) {
                    still = Optional.empty();
                }
                if (still.isPresent()) {
                    consider(event.uuid(), still.get().name());   // renamed
                    return;
                }
                Slot gone = slots.remove(event.uuid().toLowerCase(Locale.ROOT));
                if (gone != null) {
                    LOG.info("CIRA VM '{}': undefined, tunnel closed", gone.name);
                    stop(gone);
                }
            }
            default -> { }
        }
    }

    @Override
    public List<Tunnel> tunnels() {
        List<Tunnel> list = new ArrayList<>();
        for (Slot s : slots.values()) {
            CiraTunnel t = s.tunnel;
            list.add(new Tunnel(s.uuid, s.name, s.state, s.mps, s.since, s.lastError, s.failures,
                    s.state == State.BACKING_OFF ? s.nextAttempt : null, t == null ? 0 : t.channels()));
        }
        list.sort(Comparator.comparing(Tunnel::vmName));
        return list;
    }

    @Override
    public String summary() {
        Config c = config;
        CiraProfile p = operatorProfile;
        if (!c.enabled()) {
            return "Operator configuration off (enabled = false in etc/" + PID + ".cfg); VMs a console set CIRA up on "
                    + "dial as it set them up";
        }
        if (p == null) {
            return "Operator configuration unusable (see the log); only VMs a console set CIRA up on dial";
        }
        return "MPS " + p.servers().get(0) + ", trust " + trustText(p.trust()) + ", VMs " + c.vms() + ", keep-alive "
                + c.keepAliveSeconds() + " s";
    }

    @Override
    public void refresh(String vmUuid) {
        List<Slot> which = new ArrayList<>();
        if (vmUuid == null) {
            which.addAll(slots.values());
        } else {
            Slot s = slots.get(vmUuid.toLowerCase(Locale.ROOT));
            if (s != null) {
                which.add(s);
            } else {
                try {
                    hypervisor.machine(vmUuid).ifPresent(m -> consider(m.uuid(), m.name()));
                } catch (HypervisorException e) {
                    throw new IllegalStateException("cannot read VM " + vmUuid + ": " + e.getMessage());
                }
                return;
            }
        }
        for (Slot s : which) {
            slots.remove(s.uuid.toLowerCase(Locale.ROOT), s);
            stop(s);
            consider(s.uuid, s.name);
        }
    }
}
