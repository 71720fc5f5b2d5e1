package org.vamt.addresspool.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.endpoints.HostAddresses;
import org.vamt.security.files.DurableFiles;

/**
 * The endpoint manager's address pool on the host, with the standard Linux tools: an ARP probe
 * ({@code arping -D}, RFC 5227: sender address 0.0.0.0, so no neighbour learns anything from it)
 * before an address is taken, {@code ip addr add} to put it on the interface, gratuitous ARP
 * ({@code arping -U}) so the LAN's ARP caches learn at once, and {@code ip addr del} when the VM
 * goes away or vAMT stops. Java has no netlink and no raw packet sockets; iproute2 and iputils are
 * what every Linux host and the appliance have, and each step is one short command.
 *
 * <p>Every address it adds is written to {@code etc/vamt-address-pool.held} before it is added
 * (and removed after it is taken off), durably; at the next start the ones still on the host are
 * its own again: those a VM claims stay without a gap, the others (a crash, or VMs undefined while
 * vAMT was down) are taken off by the endpoint manager. Addresses it did not add (the operator's,
 * loopback) are never removed.
 */
@Component(service = HostAddresses.class, immediate = true)
public class InterfaceAddresses implements HostAddresses {
    private static final Logger LOG = LoggerFactory.getLogger(InterfaceAddresses.class);
    static final String RECORD = "vamt-address-pool.held";
    /** CAP_NET_ADMIN (add/remove addresses) and CAP_NET_RAW (ARP), bits of /proc/self/status CapEff. */
    private static final long CAP_NET_ADMIN = 1L << 12;
    private static final long CAP_NET_RAW = 1L << 13;
    /** Two probes one second apart, answers awaited up to two seconds (RFC 5227 asks three; LAN hosts answer in ms). */
    private static final String PROBES = "2";

    private record Held(String networkInterface, int prefix) {
    }

    private final Path record;
    /** Address → where it was added; guarded by this. */
    private final Map<String, Held> held = new LinkedHashMap<>();

    @Activate
    public InterfaceAddresses() {
        this(Paths.get(System.getProperty("karaf.etc", "etc"), RECORD));
    }

    InterfaceAddresses(Path record) {
        this.record = record;
        adoptLeftovers();
    }

    /** What a previous run recorded and is still on the host is this run's again; the rest is forgotten. */
    private synchronized void adoptLeftovers() {
        if (!Files.exists(record)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(record, StandardCharsets.UTF_8)) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 3 && !line.startsWith("#") && onInterface(f[1], f[0])) {
                    held.put(f[0], new Held(f[1], Integer.parseInt(f[2])));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Address pool: cannot read {}: {}", record, e.getMessage());
        }
        if (!held.isEmpty()) {
            LOG.info("Address pool: {} address(es) a previous run added are still on the host: {}; kept for their "
                    + "VMs, the others are taken off once the endpoints are known", held.size(), held.keySet());
        }
        save();
    }

    @Override
    public synchronized Claim claim(String networkInterface, String address) {
        if (held.containsKey(address)) {
            return Claim.HELD;
        }
        NetworkInterface nic = nic(networkInterface);
        if (isLocal(address)) {
            return Claim.ALREADY_LOCAL;
        }
        requireCapabilities();
        Result probe = run(tool("arping"), "-D", "-q", "-c", PROBES, "-w", PROBES, "-I", networkInterface, address);
        if (probe.exit == 1) {
            return Claim.IN_USE;
        }
        if (probe.exit != 0) {
            throw refused("the ARP probe for " + address + " on " + networkInterface + " failed", probe);
        }
        int prefix = prefix(nic, address);
        held.put(address, new Held(networkInterface, prefix));
        save();   // recorded before it is added: a crash in between leaves no address nobody knows of
        List<String> add = new ArrayList<>(List.of(tool("ip"), "-4", "addr", "add", address + "/" + prefix, "dev",
                networkInterface));
        if ((networkInterface + ":vamt").length() <= 15) {
            add.addAll(List.of("label", networkInterface + ":vamt"));   // `ip addr` shows which are vAMT's
        }
        Result added = run(add.toArray(String[]::new));
        if (added.exit != 0) {
            held.remove(address);
            save();
            throw refused("cannot add " + address + " to " + networkInterface, added);
        }
        announce(networkInterface, address);
        LOG.info("Address pool: {}/{} added to {} (no other host answered the ARP probe) and announced", address,
                prefix, networkInterface);
        return Claim.HELD;
    }

    /** Gratuitous ARP, twice, in the background: the address works already, neighbours just learn it sooner. */
    private void announce(String networkInterface, String address) {
        try {
            Process p = new ProcessBuilder(tool("arping"), "-U", "-q", "-c", "2", "-I", networkInterface, "-s", address,
                    address).redirectErrorStream(true).start();
            p.getOutputStream().close();
            p.onExit().thenAccept(done -> {
                if (done.exitValue() != 0) {
                    LOG.warn("Address pool: the gratuitous ARP for {} on {} failed (exit {}); neighbours learn it "
                            + "when they ask", address, networkInterface, done.exitValue());
                }
            });
        } catch (IOException e) {
            LOG.warn("Address pool: cannot announce {}: {}", address, e.getMessage());
        }
    }

    @Override
    public synchronized void release(String address) {
        Held h = held.get(address);
        if (h == null) {
            return;
        }
        Result r = run(tool("ip"), "-4", "addr", "del", address + "/" + h.prefix(), "dev", h.networkInterface());
        if (r.exit != 0 && onInterface(h.networkInterface(), address)) {
            LOG.warn("Address pool: cannot take {} off {}: {}; it stays recorded and is tried again at the next "
                    + "start", address, h.networkInterface(), r.output);
            return;
        }
        held.remove(address);
        save();
        LOG.info("Address pool: {} taken off {}", address, h.networkInterface());
    }

    @Override
    public synchronized Map<String, String> held() {
        Map<String, String> copy = new LinkedHashMap<>();
        held.forEach((a, h) -> copy.put(a, h.networkInterface()));
        return Collections.unmodifiableMap(copy);
    }

    /** vAMT stops: every address it added is taken off; those of others were never its to remove. */
    @Deactivate
    public synchronized void deactivate() {
        for (String address : new ArrayList<>(held.keySet())) {
            release(address);
        }
    }

    // ------------------------------------------------------------------ the host

    private static NetworkInterface nic(String name) {
        try {
            NetworkInterface nic = NetworkInterface.getByName(name);
            if (nic == null) {
                throw new IllegalStateException("there is no network interface '" + name + "' on this host "
                        + "(poolInterface in etc/org.vamt.wsman.cfg)");
            }
            if (!nic.isUp()) {
                throw new IllegalStateException("network interface '" + name + "' is down");
            }
            return nic;
        } catch (SocketException e) {
            throw new IllegalStateException("cannot read network interface '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Whether any interface of this host has the address (the operator's alias, or one of ours). */
    private static boolean isLocal(String address) {
        try {
            InetAddress a = InetAddress.getByName(address);
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onInterface(String name, String address) {
        try {
            NetworkInterface nic = NetworkInterface.getByName(name);
            return nic != null && Collections.list(nic.getInetAddresses()).contains(InetAddress.getByName(address));
        } catch (IOException e) {
            return false;
        }
    }

    /** The prefix of the interface's own subnet that holds the address, so no route changes; else a host address (/32). */
    private static int prefix(NetworkInterface nic, String address) {
        int a = ipv4(address);
        for (InterfaceAddress ia : nic.getInterfaceAddresses()) {
            if (ia.getAddress() instanceof Inet4Address own && ia.getNetworkPrefixLength() > 0) {
                int p = ia.getNetworkPrefixLength();
                int mask = -1 << (32 - p);
                if ((ipv4(own.getHostAddress()) & mask) == (a & mask)) {
                    return p;
                }
            }
        }
        return 32;
    }

    private static int ipv4(String address) {
        try {
            byte[] b = InetAddress.getByName(address).getAddress();
            return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an address: " + address, e);
        }
    }

    private static final String CAPABILITIES = "vAMT needs the capabilities CAP_NET_ADMIN (to add addresses) and "
            + "CAP_NET_RAW (ARP) for its address pool: run it as root, or give its service user these (systemd: "
            + "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW; docs/operations.md, \"Address pool\")";

    /** The capabilities, from the kernel's view of this process. */
    private static void requireCapabilities() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    if ((caps & CAP_NET_ADMIN) == 0 || (caps & CAP_NET_RAW) == 0) {
                        throw new IllegalStateException(CAPABILITIES + "; this process has "
                                + ((caps & CAP_NET_ADMIN) == 0 ? "no CAP_NET_ADMIN " : "")
                                + ((caps & CAP_NET_RAW) == 0 ? "no CAP_NET_RAW" : "").trim());
                    }
                    return;
                }
            }
        } catch (IOException notLinux) {
            throw new IllegalStateException("the address pool needs Linux (/proc/self/status: " + notLinux.getMessage()
                    + ")");
        }
    }

    private static IllegalStateException refused(String what, Result r) {
        String why = r.output.isBlank() ? "exit " + r.exit : r.output.strip();
        if (why.contains("Operation not permitted") || why.contains("Permission denied")) {
            return new IllegalStateException(what + ": " + why + ". " + CAPABILITIES);
        }
        return new IllegalStateException(what + ": " + why);
    }

    /** ip (iproute2) or arping (iputils-arping) where Debian puts them, whatever PATH the service has. */
    private static String tool(String name) {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            Path p = Paths.get(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IllegalStateException("the address pool needs '" + name + "' (Debian package "
                + (name.equals("ip") ? "iproute2" : "iputils-arping") + "), not found in /usr/sbin, /usr/bin, /sbin, /bin");
    }

    private record Result(int exit, String output) {
    }

    private static Result run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not finish within 15 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command[0], e);
        }
    }

    private synchronized void save() {
        StringBuilder text = new StringBuilder("# Addresses vAMT's address pool added to this host: address interface "
                + "prefix. Taken off when their VM goes away or vAMT stops; read at start.\n");
        held.forEach((a, h) -> text.append(a).append(' ').append(h.networkInterface()).append(' ')
                .append(h.prefix()).append('\n'));
        try {
            DurableFiles.replace(record, text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the address pool's addresses in " + record, e);
        }
    }
}
