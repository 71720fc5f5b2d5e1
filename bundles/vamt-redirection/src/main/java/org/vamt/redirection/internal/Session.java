package org.vamt.redirection.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.security.AmtRealm;
import org.vamt.security.SecurityService;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.provider.redirection.RedirectionSessions.Kind;
import org.vamt.endpoints.Endpoints.Endpoint;

/**
 * One redirection connection, from StartRedirectionSession to close, on its own thread:
 * session type and the VM's redirection state, authentication, then SOL, IDE-R or KVM.
 */
final class Session implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    /** AMT consoles finish authentication in two round trips; a few more are tolerated. */
    private static final int MAX_AUTH_MESSAGES = 6;
    /**
     * amtterm 1.4 drops whatever arrives in the same read as the 0x21 reply: give it time to read
     * the reply alone before the console pump writes.
     */
    private static final long AFTER_SOL_REPLY_MILLIS = 200;

    /** What every session shares. */
    record Context(Hypervisor hypervisor, SecurityService security, SessionSlots slots,
                   ScheduledExecutorService timers, boolean plainAllowed, int authTimeoutMillis,
                   int idleTimeoutMillis, Ider ider, KvmConsent consent) {
    }

    /** What IDE-R sessions share: the NBD server the VMs read media from, and the read limits. */
    record Ider(NbdSource nbd, long commandTimeoutMillis, int readAheadBytes) {
    }

    /** The NBD server, opened when first needed. */
    interface NbdSource {
        NbdServer get() throws IOException;
    }

    /** How often an idle IDE-R session pings the console; three periods of silence end it. */
    private static final long IDER_KEEPALIVE_MILLIS = 5000;

    /** KVM user consent: whether a session may start, and telling the consent state it ended. */
    interface KvmConsent {
        boolean begin(String uuid);

        void end(String uuid);
    }

    private final Socket socket;
    private final Endpoint vm;
    private final Context ctx;
    private final String client;
    private final String who;
    private final AtomicInteger sequence = new AtomicInteger();
    private SessionOutput out;
    /** Closes the connection unless it has logged in by then. */
    private java.util.concurrent.ScheduledFuture<?> loginDeadline;
    private String user;

    Session(Socket socket, Endpoint vm, Context ctx) {
        this.socket = socket;
        this.vm = vm;
        this.ctx = ctx;
        this.client = socket.getInetAddress().getHostAddress();
        this.who = "'" + vm.name() + "' (" + client + ")";
    }

    @Override
    public void run() {
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(ctx.authTimeoutMillis());
            // the read timeout restarts with every byte; this deadline does not: start and login in time, in all
            loginDeadline = ctx.timers().schedule(this::loginTooSlow, ctx.authTimeoutMillis(),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
            out = new SessionOutput(socket.getOutputStream());
            InputStream raw = socket.getInputStream();
            MessageReader in = new MessageReader(raw);
            serve(in, raw);
        } catch (EOFException | SocketTimeoutException e) {
            LOG.debug("Redirection {}: {}", who, e.getMessage());
        } catch (MessageReader.ProtocolException e) {
            LOG.info("Redirection {}: protocol error, closing: {}", who, e.getMessage());
        } catch (IOException e) {
            LOG.debug("Redirection {}: connection ended: {}", who, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("Redirection {}: session failed", who, e);
        } finally {
            if (loginDeadline != null) {
                loginDeadline.cancel(false);
            }
            ctx.slots().disconnect(vm.uuid(), socket);
        }
    }

    private void serve(MessageReader in, InputStream raw) throws IOException {
        byte[] start = in.next();
        if (start[0] != Messages.START_SESSION) {
            throw new MessageReader.ProtocolException(String.format("expected StartRedirectionSession, got 0x%02X",
                    start[0]));
        }
        String type = Messages.sessionType(start);
        VmPolicy policy;
        try {
            policy = VmPolicy.read(ctx.hypervisor(), vm.uuid());
        } catch (HypervisorException e) {
            LOG.info("Redirection {}: VM state unreadable ({}); refused", who, e.getMessage());
            out.send(Messages.startSessionReply(Messages.STATUS_ERROR));
            return;
        }
        Kind kind;
        switch (type) {
            case "SOL " -> {
                if (!policy.solEnabled()) {
                    refuseStart(Messages.STATUS_UNSUPPORTED, "SOL is disabled (AMT_RedirectionService)");
                    return;
                }
                kind = Kind.SOL;
            }
            case "KVMR" -> {
                if (!policy.kvmEnabled()) {
                    refuseStart(Messages.STATUS_UNSUPPORTED, "KVM is disabled (CIM_KVMRedirectionSAP)");
                    return;
                }
                kind = Kind.KVM;
            }
            case "IDER" -> {
                if (!policy.iderEnabled()) {
                    refuseStart(Messages.STATUS_UNSUPPORTED, "IDE-R is disabled (AMT_RedirectionService)");
                    return;
                }
                kind = Kind.IDER;
            }
            default -> {
                refuseStart(Messages.STATUS_TYPE_UNKNOWN, "unknown session type '" + type.strip() + "'");
                return;
            }
        }
        if (ctx.slots().isTaken(vm.uuid(), kind)) {
            refuseStart(Messages.STATUS_BUSY, kind + " session already open");
            return;
        }
        out.send(Messages.startSessionReply(Messages.STATUS_OK));
        if (!authenticate(in)) {
            return;
        }
        if (!ctx.slots().take(vm.uuid(), kind, socket)) {
            LOG.info("Redirection {}: {} session of {} closed: another one started meanwhile", who, kind, user);
            return;
        }
        try {
            socket.setSoTimeout(ctx.idleTimeoutMillis());
            if (kind == Kind.SOL) {
                sol(in);
            } else if (kind == Kind.IDER) {
                ider(raw);
            } else {
                kvm(in, raw, policy);
            }
        } finally {
            ctx.slots().release(vm.uuid(), kind);
            LOG.info("Redirection {}: {} session of {} closed", who, kind, user);
        }
    }

    /** The total login deadline passed (a client that drips bytes never trips the read timeout). */
    private void loginTooSlow() {
        LOG.info("Redirection {}: session start and login not done within {} ms; closed", who,
                ctx.authTimeoutMillis());
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void refuseStart(int status, String why) throws IOException {
        LOG.info("Redirection {}: session refused (status {}): {}", who, status, why);
        out.send(Messages.startSessionReply(status));
    }

    private boolean authenticate(MessageReader in) throws IOException {
        SessionAuthenticator auth = new SessionAuthenticator(vm.realm(), ctx.plainAllowed(), this::check);
        for (int i = 0; i < MAX_AUTH_MESSAGES; i++) {
            byte[] m = in.next();
            if (m[0] != Messages.AUTHENTICATE) {
                throw new MessageReader.ProtocolException(String.format("expected AuthenticateSession, got 0x%02X",
                        m[0]));
            }
            SessionAuthenticator.Step step = auth.handle(m);
            switch (step.outcome()) {
                case CONTINUE -> out.send(step.reply());
                case ACCEPTED -> {
                    loginDeadline.cancel(false);
                    ctx.slots().authenticated(vm.uuid(), socket);
                    user = step.user();
                    out.send(step.reply());
                    LOG.info("Redirection {}: {} logged in ({})", who, user, step.why());
                    return true;
                }
                case REJECTED -> {
                    LOG.warn("Redirection {}: login failed for user {}: {}", who, step.user(), step.why());
                    out.send(step.reply());
                    return false;
                }
                default -> throw new IllegalStateException();
            }
        }
        LOG.info("Redirection {}: too many authentication messages", who);
        return false;
    }

    /**
     * The security service checks the credentials (the user must hold the redirection realm on
     * this VM), counts failures towards the lockout and audits them.
     */
    private org.vamt.security.Login check(SessionAuthenticator.Attempt attempt) {
        return attempt.password() != null
                ? ctx.security().verifyPassword(attempt.user(), attempt.password(), vm.uuid(), vm.realm(),
                        AmtRealm.REDIRECTION, client)
                : ctx.security().verifyDigest(attempt.digest(), vm.uuid(), vm.realm(), AmtRealm.REDIRECTION, client);
    }

    private void sol(MessageReader in) throws IOException {
        SolBridge bridge = null;
        ScheduledFuture<?> heartbeat = null;
        try {
            while (true) {
                byte[] m = in.next();
                switch (m[0]) {
                    case Messages.SOL_START -> {
                        if (bridge != null) {
                            throw new MessageReader.ProtocolException("SOL started twice");
                        }
                        bridge = new SolBridge(ctx.hypervisor(), vm.uuid(), who, out, sequence);
                        out.send(Messages.solStartReply(m));
                        int heartbeatMillis = Messages.getShort(m, 18);
                        LOG.info("Redirection {}: SOL started by {} (client heartbeat {} ms)", who, user,
                                heartbeatMillis);
                        sleepQuietly(AFTER_SOL_REPLY_MILLIS);
                        bridge.start();
                        if (heartbeatMillis > 0) {
                            long period = Math.max(1000, heartbeatMillis);
                            heartbeat = ctx.timers().scheduleAtFixedRate(this::sendHeartbeat, period, period,
                                    TimeUnit.MILLISECONDS);
                        }
                    }
                    case Messages.SOL_DATA_TO_HOST -> {
                        if (bridge != null) {
                            bridge.toGuest(m, 10, m.length - 10);
                        }
                    }
                    case Messages.SOL_HEARTBEAT, Messages.KEEP_ALIVE_PONG, Messages.SOL_SETTINGS_ACK -> {
                        // activity only; never echoed (amtterm echoes ours, an echo of its echo would never end)
                    }
                    case Messages.KEEP_ALIVE_PING -> out.send(Messages.simple(Messages.KEEP_ALIVE_PONG,
                            Messages.getInt(m, 4)));
                    case Messages.SOL_END -> {
                        out.send(Messages.simple(Messages.SOL_END_REPLY, Messages.getInt(m, 4)));
                        return;
                    }
                    case Messages.END_SESSION -> {
                        return;
                    }
                    default -> throw new MessageReader.ProtocolException(String.format(
                            "message 0x%02X is not part of a SOL session", m[0]));
                }
            }
        } finally {
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
            if (bridge != null) {
                bridge.close();
            }
        }
    }

    /**
     * An IDE-R session: the protocol on this thread; on another one, once the console enabled the
     * device, the CD image is probed, exported over NBD and put in the VM's CD-ROM drive, until the
     * session ends and it is taken out again.
     */
    private void ider(InputStream raw) throws IOException {
        IderSession ider = new IderSession(socket, raw, out, who, ctx.ider().commandTimeoutMillis());
        socket.setSoTimeout((int) (4 * IDER_KEEPALIVE_MILLIS));
        ScheduledFuture<?> keepAlive = ctx.timers().scheduleAtFixedRate(() -> ider.keepAlive(IDER_KEEPALIVE_MILLIS),
                IDER_KEEPALIVE_MILLIS, IDER_KEEPALIVE_MILLIS, TimeUnit.MILLISECONDS);
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        Thread media = new Thread(() -> presentMedia(ider, ended), "vamt-ider-media");
        media.setDaemon(true);
        media.start();
        try {
            ider.serve();
        } finally {
            keepAlive.cancel(false);
            ider.close();
            ended.countDown();
            try {
                media.join(ctx.ider().commandTimeoutMillis() + 10_000);   // the medium is out when the session is
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void presentMedia(IderSession ider, java.util.concurrent.CountDownLatch ended) {
        if (!ider.awaitEnabled(ctx.authTimeoutMillis())) {
            if (!ider.isClosed()) {
                LOG.info("Redirection {}: IDE-R console did not enable the device in time; closing", who);
                ider.close();
            }
            return;
        }
        IderDrive cd;
        try {
            long[] capacity = ider.readCapacity(IderSession.DEVICE_CD);
            if (capacity[1] != 2048) {
                LOG.info("Redirection {}: IDE-R CD image with {}-byte blocks is not presented", who, capacity[1]);
                return;
            }
            cd = new IderDrive(ider, IderSession.DEVICE_CD, capacity[0], 2048, ctx.ider().readAheadBytes());
        } catch (IderSession.CommandFailed e) {
            LOG.info("Redirection {}: IDE-R session has no CD image ({}); a floppy/disk image alone is not presented"
                    + " to the VM", who, e.getMessage());
            return;
        } catch (IOException e) {
            LOG.info("Redirection {}: IDE-R CD image unreadable: {}", who, e.getMessage());
            return;
        }
        NbdServer nbd;
        try {
            nbd = ctx.ider().nbd().get();
        } catch (IOException e) {
            LOG.warn("Redirection {}: no NBD server for the IDE-R CD image: {}", who, e.getMessage());
            return;
        }
        String export = nbd.export(cd);
        java.net.InetSocketAddress at = nbd.address();
        boolean inserted = false;
        try {
            ctx.hypervisor().insertMedia(vm.uuid(), new org.vamt.hypervisor.NetworkMedia(
                    at.getAddress().getHostAddress(), at.getPort(), export));
            inserted = true;
            LOG.info("Redirection {}: IDE-R CD image of {} bytes in the VM's CD-ROM drive", who, cd.size());
            ended.await();
        } catch (HypervisorException e) {
            LOG.warn("Redirection {}: IDE-R CD image cannot be put in the VM: {}", who, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (inserted) {
                try {
                    ctx.hypervisor().ejectMedia(vm.uuid());
                    LOG.info("Redirection {}: IDE-R session over, CD image taken out of the VM", who);
                } catch (HypervisorException e) {
                    LOG.warn("Redirection {}: IDE-R CD image could not be taken out of the VM: {}", who, e.getMessage());
                }
            }
            nbd.withdraw(export);
        }
    }

    private void sendHeartbeat() {
        try {
            out.send(Messages.simple(Messages.SOL_HEARTBEAT, sequence.getAndIncrement()));
        } catch (IOException e) {
            LOG.debug("Redirection {}: heartbeat failed: {}", who, e.getMessage());
        }
    }

    private void kvm(MessageReader in, InputStream raw, VmPolicy policy) throws IOException {
        byte[] m = in.next();
        if (m[0] == Messages.END_SESSION) {
            return;
        }
        if (m[0] != Messages.KVM_START) {
            throw new MessageReader.ProtocolException(String.format("expected KVM start 0x40, got 0x%02X", m[0]));
        }
        boolean consented = false;
        if (policy.kvmNeedsConsent()) {
            if (ctx.consent() == null || !ctx.consent().begin(vm.uuid())) {
                LOG.info("Redirection {}: KVM refused, user consent required (IPS_OptInService) and not given", who);
                return;
            }
            consented = true;
        }
        Optional<InetSocketAddress> display;
        try {
            display = ctx.hypervisor().vncDisplay(vm.uuid());
        } catch (HypervisorException e) {
            LOG.info("Redirection {}: KVM refused, no display: {}", who, e.getMessage());
            end(consented);
            return;
        }
        if (display.isEmpty()) {
            LOG.info("Redirection {}: KVM refused, the VM has no VNC display", who);
            end(consented);
            return;
        }
        try {
            out.send(Messages.kvmStartReply());
            // RFB runs until either side closes; KVM has its own idle handling (update requests flow constantly)
            socket.setSoTimeout(0);
            new RfbProxy(who).run(raw, socket.getOutputStream(), display.get(), ctx.authTimeoutMillis());
        } finally {
            if (consented) {
                ctx.consent().end(vm.uuid());
            }
        }
    }

    /** Ends the consent a session took and could not use: it is spent, as when the session ends. */
    private void end(boolean consented) {
        if (consented) {
            ctx.consent().end(vm.uuid());
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
