package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.accounts.internal.UserStore;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.MethodResult;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.endpoints.internal.TestTransport;
import org.vamt.security.internal.TestConfigs;
import org.vamt.security.internal.TestSecurity;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;
import org.vamt.security.digest.DigestClient;
import org.vamt.security.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Hostile input (issue 5): thousands of generated and mutated envelopes posted over real HTTP, with
 * valid Digest credentials and a share without or with broken ones, to a real listener in front of
 * the real CIMOM and a fixture provider. Every answer must be a SOAP envelope (200), a WS-Man fault
 * (4xx, 503) or a Digest challenge (401), never a 500 or a stack trace, and come within a bound;
 * afterwards the server must still answer a normal Get and hold no more threads, descriptors or
 * heap than before.
 *
 * <p>Every case is generated from its own {@code Random(seed, index)}, so a failure is reproduced with
 * {@code -Dvamt.hostile.seed=<seed> -Dvamt.hostile.only=<index>} whatever the thread interleaving was.
 */
class HostileInputTest {
    static final long SEED = Long.getLong("vamt.hostile.seed", 0x5EC_2026_1126L);
    static final int CASES = Integer.getInteger("vamt.hostile.cases", 10_000);
    static final int ONLY = Integer.getInteger("vamt.hostile.only", -1);
    static final int CLIENTS = 4;
    static final long ANSWER_BOUND_MS = 5_000;
    /** vAMT's defaults (WsmanServer.Config), except a small nonce table so that challenge floods evict. */
    static final int MAX_REQUEST_BYTES = 262_144;
    static final int MAX_FAILURES_SHOWN = 5;
    static final String POSTER = "hostile-poster-";

    static final String VM_UUID = "55e3ae13-bfd2-61bb-17a0-88aedd7037ea";
    static final String REALM = "Digest:55E3AE13BFD261BB17A088AEDD7037EA";
    static final String PASSWORD = "H0stile-test!";
    static final String CIM = ResourceUris.CIM;
    static final String AMT = ResourceUris.AMT;
    static final String POWER = CIM + "CIM_PowerManagementService";

    /** A stack trace or exception name leaking into an answer. */
    static final Pattern STACK_TRACE = Pattern.compile("Exception|\\tat |\\bat (java|javax|org|sun|jdk)\\.[\\w.$]+\\(");

    @TempDir
    Path etc;
    int port;
    TestTransport listener;
    TestTransport handler;
    String url;

    /** The fixture's writable state, bounded so that thousands of Creates cannot grow it. */
    final Map<String, CimInstance> policies = new ConcurrentHashMap<>();
    final AtomicInteger policyIds = new AtomicInteger();

    final class FixtureProvider implements CimProvider {
        @Override
        public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
            return switch (className) {
                case "AMT_Policy" -> List.copyOf(policies.values());
                case "AMT_GeneralSettings" -> List.of(CimInstance.builder(className)
                        .key("InstanceID", "Intel(r) AMT: General Settings").property("HostName", "vm")
                        .property("DigestRealm", ctx.digestRealm()).build());
                case "CIM_PowerManagementService" -> List.of(CimInstance.builder(className)
                        .key("CreationClassName", className).key("Name", "Intel(r) AMT Power Management Service")
                        .property("EnabledState", 5).property("ElementName", ctx.machineName()).build());
                default -> List.of(CimInstance.builder("CIM_AssociatedPowerManagementService")
                        .property("PowerState", 2).property("AvailableRequestedPowerStates", List.of(8, 10))
                        .key("ServiceProvided", CimObjectPath.of("CIM_PowerManagementService", "Name", "p"))
                        .key("UserOfService", CimObjectPath.of("CIM_ComputerSystem", "Name", "ManagedSystem"))
                        .build());
            };
        }

        @Override
        public CimObjectPath createInstance(RequestContext ctx, CimInstance instance) {
            if (policies.size() >= 50) {
                policies.clear();
            }
            String id = "Policy " + policyIds.incrementAndGet();
            CimInstance stored = CimInstance.builder("AMT_Policy").key("InstanceID", id)
                    .property("PolicyName", instance.get("PolicyName")).build();
            policies.put(id, stored);
            return stored.path();
        }

        @Override
        public void deleteInstance(RequestContext ctx, CimInstance instance) {
            policies.remove((String) instance.get("InstanceID"));
        }

        @Override
        public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified) {
            return modified;
        }

        @Override
        public MethodResult invokeMethod(RequestContext ctx, CimObjectPath target, String method,
                                         Map<String, Object> arguments) {
            return new MethodResult(0, Map.of("Echo", String.valueOf(arguments.get("PowerState"))));
        }
    }

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CimObjectManager cimom = new TestCimom(WsmanEndpointTest.MOF).serve(new FixtureProvider(),
                "CIM_PowerManagementService", "CIM_AssociatedPowerManagementService", "AMT_GeneralSettings",
                "AMT_Policy").manager();
        UserStore users = UserStore.open(etc.resolve("users.properties"), PASSWORD, p -> { });
        handler = new TestTransport(TestSecurity.create(users, 5, 60_000, 600_000, e -> { }), MAX_REQUEST_BYTES, 8,
                2_000, 4_000).machine(VM_UUID, "desktop-01")
                .serve(new WsmanService(cimom, TestConfigs.of(WsmanService.Config.class, Map.of())), "/wsman");
        listener = handler.listen(port);
        url = "http://127.0.0.2:" + port + "/wsman";
    }

    @AfterEach
    void stop() {
        listener.close();
        handler.close();
    }

    // ------------------------------------------------------------------ the test

    @Test
    void tenThousandHostileEnvelopesGetFaultsAndLeaveTheServerHealthy() throws Exception {
        System.out.printf("HostileInputTest: seed %d, %d cases (rerun one with -Dvamt.hostile.seed=%d "
                + "-Dvamt.hostile.only=<case>)%n", SEED, CASES, SEED);
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(new Client(url));
        }
        // Warm up at the same concurrency so that pools (Jetty's, the clients', the operation workers)
        // have their working size before the baseline is taken.
        runConcurrently(clients, 400, i -> new Case("warm-up", valid(new Random(i), i % 9).render()
                .getBytes(StandardCharsets.UTF_8), Auth.VALID), new ConcurrentLinkedQueue<>(), new ConcurrentHashMap<>());
        Health before = Health.measure();

        Queue<String> failures = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        int first = Math.max(ONLY, 0);
        int count = ONLY >= 0 ? 1 : CASES;
        Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
        // In two halves: heap that keeps growing in the second half is a leak, not a pool filling up.
        runConcurrently(clients, count / 2, i -> generate(first + i), failures, answers);
        Health half = Health.measure();
        runConcurrently(clients, count - count / 2, i -> generate(first + count / 2 + i), failures, answers);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("HostileInputTest: %d cases in %d ms; answers: %s%n", count, ms, new java.util.TreeMap<>(
                answers));
        if (!failures.isEmpty()) {
            fail(failures.size() + " bad answers (seed " + SEED + "); the first ones:\n"
                    + String.join("\n\n", failures.stream().limit(MAX_FAILURES_SHOWN).toList()));
        }

        HttpResponse<byte[]> get = clients.get(0).send(WsmanEndpointTest.envelope(Ns.ACTION_GET, POWER, null, null)
                .getBytes(StandardCharsets.UTF_8), Auth.VALID);
        assertEquals(200, get.statusCode(), "a normal Get still works after the storm");
        assertTrue(new String(get.body(), StandardCharsets.UTF_8).contains("<g:ElementName>desktop-01</g:ElementName>"));
        Health after = Health.settle(before);
        System.out.printf("HostileInputTest: server threads %s -> %s%n", before.threadsByName, after.threadsByName);
        System.out.printf("HostileInputTest: threads %d -> %d, descriptors %d -> %d, heap %d MB -> %d MB "
                        + "(half-way %d MB)%n", before.threads, after.threads, before.descriptors, after.descriptors,
                before.heapMb, after.heapMb, half.heapMb);
        assertTrue(after.heapMb <= half.heapMb + 16, "heap kept growing in the second half: " + half.heapMb + " -> "
                + after.heapMb + " MB");
        assertEquals(List.of(), after.stuckInRequests, "threads still inside a WS-Man request when all are answered");
        // Jetty's pool may have grown under load (it shrinks after a minute idle); a leak would exceed this.
        assertTrue(after.threads <= before.threads + 8, "server threads: " + before.threadsByName + " -> "
                + after.threadsByName);
        assertTrue(after.descriptors <= before.descriptors + 16,
                "descriptors: " + before.descriptors + " -> " + after.descriptors);
        assertTrue(after.heapMb <= before.heapMb + 32, "heap after GC: " + before.heapMb + " -> " + after.heapMb + " MB");
    }

    interface CaseSource {
        Case at(int index);
    }

    private void runConcurrently(List<Client> clients, int count, CaseSource cases, Queue<String> failures,
                                 Map<String, AtomicInteger> answers) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger posters = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients.size(),
                r -> new Thread(r, POSTER + posters.incrementAndGet()));
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Client c : clients) {
                done.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < count && failures.size() < MAX_FAILURES_SHOWN) {
                        Case k = cases.at(i);
                        String problem = c.check(k, answers);
                        if (problem != null) {
                            failures.add("case " + i + " [" + k.family + ", " + k.auth + "]: " + problem
                                    + "\n  request (" + k.body.length + " bytes): " + printable(k.body, 3000));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ health

    /**
     * Server-side threads (the test's own HTTP clients and its posting pool excluded, as their pools
     * size themselves), open descriptors of the process, heap in use after GC.
     */
    record Health(int threads, int descriptors, long heapMb, Map<String, Integer> threadsByName,
                  List<String> stuckInRequests) {
        static Health measure() throws IOException {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            Runtime rt = Runtime.getRuntime();
            int fds;
            try (Stream<Path> s = Files.list(Paths.get("/proc/self/fd"))) {
                fds = (int) s.count();
            }
            Map<String, Integer> byName = new java.util.TreeMap<>();
            List<String> stuck = new ArrayList<>();
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                Thread t = e.getKey();
                String name = t.getName();
                if (Stream.of(e.getValue()).anyMatch(f -> f.getClassName().startsWith(WsmanService.class.getName())
                        || f.getClassName().startsWith(WsmanOperations.class.getName()))) {
                    stuck.add(name);
                }
                if (t.isAlive() && !name.startsWith("HttpClient-") && !name.startsWith(POSTER)) {
                    byName.merge(name.replaceAll("[0-9]+", "#"), 1, Integer::sum);
                }
            }
            int threads = byName.values().stream().mapToInt(Integer::intValue).sum();
            return new Health(threads, fds, (rt.totalMemory() - rt.freeMemory()) >> 20, byName, stuck);
        }

        /** Measures until back near {@code before} or 10 s passed: closed connections take a moment. */
        static Health settle(Health before) throws Exception {
            long deadline = System.currentTimeMillis() + 10_000;
            Health h = measure();
            while (System.currentTimeMillis() < deadline && (h.threads > before.threads + 8 || !h.stuckInRequests.isEmpty()
                    || h.descriptors > before.descriptors + 16 || h.heapMb > before.heapMb + 32)) {
                Thread.sleep(250);
                h = measure();
            }
            return h;
        }
    }

    // ------------------------------------------------------------------ client and answer checks

    enum Auth { VALID, NONE, BROKEN }

    /** Replaced by the context of an Enumerate the client sends just before (valid credentials only). */
    static final String LIVE_CONTEXT = "{live-context}";

    record Case(String family, byte[] body, Auth auth, String brokenAuthorization) {
        Case(String family, byte[] body, Auth auth) {
            this(family, body, auth, null);
        }
    }

    /** One HTTP client with its own Digest session (nonce and nc), as a console keeps it. */
    static final class Client {
        final DigestClient digest;
        final ThreadLocal<DocumentBuilder> xml = ThreadLocal.withInitial(Client::strictParser);

        Client(String url) {
            this.digest = new DigestClient(url, "admin", PASSWORD);
        }

        static DocumentBuilder strictParser() {
            return SafeXml.builder(SafeXml.factory());
        }

        HttpResponse<byte[]> raw(byte[] body, String authorization) throws IOException, InterruptedException {
            return digest.raw(body, authorization, HttpResponse.BodyHandlers.ofByteArray());
        }

        /** Sends with valid credentials (learning or renewing the nonce as needed), none, or broken ones. */
        HttpResponse<byte[]> send(byte[] body, Auth auth) throws IOException, InterruptedException {
            return send(new Case("", body, auth));
        }

        HttpResponse<byte[]> send(Case k) throws IOException, InterruptedException {
            switch (k.auth) {
                case NONE:
                    return raw(k.body, null);
                case BROKEN:
                    String nonce = digest.nonce();
                    return raw(k.body, k.brokenAuthorization.replace("{nonce}", nonce == null ? "x" : nonce));
                default:
                    List<String> opened = new ArrayList<>();
                    HttpResponse<byte[]> r = authenticated(withLiveContext(k.body, opened));
                    // Release what is left open, as a well-behaved console does: otherwise the fuzzed
                    // Enumerates would fill the per-user quota and every later one would only meet QuotaLimit.
                    if (r.statusCode() == 200) {
                        java.util.regex.Matcher m = CONTEXT.matcher(new String(r.body(), StandardCharsets.UTF_8));
                        while (m.find()) {
                            opened.add(m.group(1));
                        }
                    }
                    for (String context : opened) {
                        authenticated(WsmanEndpointTest.envelope(Ns.ACTION_RELEASE, CIM
                                + "CIM_ServiceAvailableToElement", null, "<n:Release xmlns:n=\"" + Ns.WSEN
                                + "\"><n:EnumerationContext>" + context + "</n:EnumerationContext></n:Release>")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                    return r;
            }
        }

        static final Pattern CONTEXT = Pattern.compile("EnumerationContext>([^<]+)</");

        HttpResponse<byte[]> authenticated(byte[] body) throws IOException, InterruptedException {
            if (!digest.session().hasNonce()) {
                digest.learn(raw(new byte[0], null));   // probe with an empty body, as curl --digest does
            }
            // a stale nonce (other clients' challenges pushed ours out of the bounded nonce table) is renewed once
            return digest.post(body, HttpResponse.BodyHandlers.ofByteArray());
        }

        /** Opens an enumeration and puts its context where the body asks for a live one. */
        byte[] withLiveContext(byte[] body, List<String> opened) throws IOException, InterruptedException {
            byte[] marker = LIVE_CONTEXT.getBytes(StandardCharsets.US_ASCII);
            int at = indexOf(body, marker);
            if (at < 0) {
                return body;
            }
            HttpResponse<byte[]> e = authenticated(WsmanEndpointTest.envelope(Ns.ACTION_ENUMERATE,
                    CIM + "CIM_ServiceAvailableToElement", null, "<n:Enumerate xmlns:n=\"" + Ns.WSEN + "\" />")
                    .getBytes(StandardCharsets.UTF_8));
            java.util.regex.Matcher m = CONTEXT.matcher(new String(e.body(), StandardCharsets.UTF_8));
            if (e.statusCode() != 200 || !m.find()) {
                throw new IOException("could not open an enumeration: " + e.statusCode() + " "
                        + new String(e.body(), StandardCharsets.UTF_8));
            }
            opened.add(m.group(1));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(body, 0, at);
            out.writeBytes(m.group(1).getBytes(StandardCharsets.UTF_8));
            out.write(body, at + marker.length, body.length - at - marker.length);
            return out.toByteArray();
        }

        static int indexOf(byte[] haystack, byte[] needle) {
            outer:
            for (int i = 0; i + needle.length <= haystack.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (haystack[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        /** Null when the answer is acceptable, else what is wrong with it. */
        String check(Case k, Map<String, AtomicInteger> answers) {
            long start = System.nanoTime();
            HttpResponse<byte[]> r;
            try {
                r = send(k);
            } catch (Exception e) {
                return "no answer: " + e;
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            int status = r.statusCode();
            String body = new String(r.body(), StandardCharsets.UTF_8);
            String answer = "\n  answer " + status + " after " + ms + " ms: " + printable(r.body(), 1500);
            if (ms > ANSWER_BOUND_MS) {
                return "answered after " + ms + " ms (bound " + ANSWER_BOUND_MS + ")" + answer;
            }
            if (STACK_TRACE.matcher(body).find()) {
                return "a stack trace or exception name in the answer" + answer;
            }
            if (!r.headers().firstValue("Server").orElse("").startsWith("Intel(R) Active Management Technology")) {
                return "not answered by the vAMT handler (no AMT Server header)" + answer;
            }
            if (status == 401) {
                answers.computeIfAbsent("401", x -> new AtomicInteger()).incrementAndGet();
                String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
                if (!challenge.startsWith("Digest realm=\"" + REALM + "\"")) {
                    return "401 without a Digest challenge: " + challenge + answer;
                }
                if (k.auth == Auth.VALID) {
                    return "valid credentials refused (" + challenge + ")" + answer;
                }
                return null;
            }
            Element envelope;
            try {
                Document doc = xml.get().parse(new ByteArrayInputStream(r.body()));
                envelope = doc.getDocumentElement();
            } catch (Exception e) {
                return "the answer is not well-formed XML (" + e.getMessage() + ")" + answer;
            }
            if (!"Envelope".equals(envelope.getLocalName()) || !Ns.SOAP.equals(envelope.getNamespaceURI())) {
                return "the answer is not a SOAP 1.2 envelope" + answer;
            }
            Element soapBody = RequestParser.child(envelope, Ns.SOAP, "Body");
            if (soapBody == null) {
                return "the answer has no SOAP Body" + answer;
            }
            Element fault = RequestParser.child(soapBody, Ns.SOAP, "Fault");
            answers.computeIfAbsent(status + (fault == null ? "" : " " + subcode(fault)), x -> new AtomicInteger())
                    .incrementAndGet();
            if (status == 200) {
                if (fault != null) {
                    return "200 with a Fault" + answer;
                }
                if (k.auth != Auth.VALID && RequestParser.child(soapBody, Ns.WSMID, "IdentifyResponse") == null) {
                    return "200 without valid credentials for something other than Identify" + answer;
                }
                return null;
            }
            if ((status >= 400 && status < 500) || status == 503) {
                if (fault == null) {
                    return status + " without a SOAP Fault" + answer;
                }
                Element code = RequestParser.child(fault, Ns.SOAP, "Code");
                Element reason = RequestParser.child(fault, Ns.SOAP, "Reason");
                if (code == null || RequestParser.child(code, Ns.SOAP, "Value") == null || reason == null
                        || RequestParser.child(reason, Ns.SOAP, "Text") == null) {
                    return "a Fault without Code/Value or Reason/Text" + answer;
                }
                if (body.contains("InternalError")) {
                    // the fixture provider never fails: an internal error means bad input broke our code
                    return "bad input answered as an internal error instead of the fault that names it" + answer;
                }
                if (k.auth != Auth.VALID && !(status == 400 && body.contains("EncodingLimit"))) {
                    return "a fault without valid credentials (only the size limit comes before Digest)" + answer;
                }
                return null;
            }
            return "status " + status + " is neither 200, 401, 4xx nor 503" + answer;
        }
    }

    /** The innermost Subcode Value of a SOAP 1.2 fault, e.g. {@code wsman:EncodingLimit}. */
    static String subcode(Element fault) {
        Element code = RequestParser.child(fault, Ns.SOAP, "Code");
        String value = "?";
        while (code != null) {
            Element v = RequestParser.child(code, Ns.SOAP, "Value");
            if (v != null) {
                value = RequestParser.text(v);
            }
            code = RequestParser.child(code, Ns.SOAP, "Subcode");
        }
        return value;
    }

    static String printable(byte[] bytes, int max) {
        StringBuilder s = new StringBuilder();
        int n = Math.min(bytes.length, max);
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xFF;
            if (b == '\\') {
                s.append("\\\\");
            } else if (b >= 0x20 && b < 0x7F) {
                s.append((char) b);
            } else {
                s.append(String.format("\\x%02X", b));
            }
        }
        if (bytes.length > max) {
            s.append("… (").append(bytes.length - max).append(" more bytes)");
        }
        return s.toString();
    }

    // ------------------------------------------------------------------ the generator

    /** An envelope under construction: namespaces, a list of header elements and a body payload. */
    static final class Draft {
        String family;
        String prolog = "";
        String soapNs = Ns.SOAP;
        String wsaNs = Ns.WSA;
        String wsmanNs = Ns.WSMAN;
        String envelopeExtra = "";
        final List<String> headers = new ArrayList<>();
        String body = "";

        String render() {
            return prolog + "<s:Envelope xmlns:s=\"" + soapNs + "\" xmlns:a=\"" + wsaNs + "\" xmlns:w=\"" + wsmanNs
                    + "\" xmlns:n=\"" + Ns.WSEN + "\"" + envelopeExtra + "><s:Header>" + String.join("", headers)
                    + "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
        }
    }

    static final String[] CLASSES = {CIM + "CIM_PowerManagementService", AMT + "AMT_GeneralSettings",
        AMT + "AMT_Policy", CIM + "CIM_ServiceAvailableToElement", CIM + "CIM_AssociatedPowerManagementService",
        CIM + "CIM_ComputerSystem", CIM + "CIM_Nothing", CIM + "*", "http://schemas.dmtf.org/wbem/wscim/1/*"};

    static String pick(Random r, String... options) {
        return options[r.nextInt(options.length)];
    }

    static String header(String name, String value) {
        return "<" + name + ">" + value + "</" + name + ">";
    }

    static String eprTo(String resourceUri, String selectors) {
        return "<a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>"
                + "<a:ReferenceParameters><w:ResourceURI>" + resourceUri + "</w:ResourceURI><w:SelectorSet>"
                + selectors + "</w:SelectorSet></a:ReferenceParameters>";
    }

    /** Half the time a live context (the client opens one just before sending), else a forged one. */
    static String context(Random r) {
        return r.nextBoolean() ? LIVE_CONTEXT : pick(r, new java.util.UUID(r.nextLong(), r.nextLong()).toString(),
                String.valueOf(r.nextInt(1000)), "uuid:" + new java.util.UUID(r.nextLong(), r.nextLong()));
    }

    /** A valid request of one of the nine operations, with the optional headers AMT clients send. */
    static Draft valid(Random r, int operation) {
        Draft d = new Draft();
        String uri;
        String action;
        switch (operation) {
            case 0 -> {
                d.family = "Get";
                uri = pick(r, POWER, AMT + "AMT_GeneralSettings", AMT + "AMT_Policy");
                action = Ns.ACTION_GET;
            }
            case 1 -> {
                d.family = "Put";
                uri = AMT + "AMT_GeneralSettings";
                action = Ns.ACTION_PUT;
                d.body = "<r:AMT_GeneralSettings xmlns:r=\"" + uri + "\"><r:InstanceID>Intel(r) AMT: General Settings"
                        + "</r:InstanceID><r:HostName>host-" + r.nextInt(1000) + "</r:HostName></r:AMT_GeneralSettings>";
            }
            case 2 -> {
                d.family = "Create";
                uri = AMT + "AMT_Policy";
                action = Ns.ACTION_CREATE;
                d.body = "<r:AMT_Policy xmlns:r=\"" + uri + "\"><r:InstanceID>x</r:InstanceID><r:PolicyName>p"
                        + r.nextInt(100) + "</r:PolicyName></r:AMT_Policy>";
            }
            case 3 -> {
                d.family = "Delete";
                uri = AMT + "AMT_Policy";
                action = Ns.ACTION_DELETE;
                d.headers.add(header("w:SelectorSet", "<w:Selector Name=\"InstanceID\">Policy " + r.nextInt(60)
                        + "</w:Selector>"));
            }
            case 4 -> {
                d.family = "Enumerate";
                uri = pick(r, CIM + "CIM_ServiceAvailableToElement", AMT + "AMT_Policy", POWER);
                action = Ns.ACTION_ENUMERATE;
                d.body = "<n:Enumerate>" + (r.nextBoolean() ? "<w:OptimizeEnumeration></w:OptimizeEnumeration>"
                        + "<w:MaxElements>" + (1 + r.nextInt(10)) + "</w:MaxElements>" : "")
                        + (r.nextBoolean() ? "<w:EnumerationMode>" + pick(r, "EnumerateObjectAndEPR", "EnumerateEPR")
                        + "</w:EnumerationMode>" : "") + "</n:Enumerate>";
            }
            case 5 -> {
                d.family = "Pull";
                uri = CIM + "CIM_ServiceAvailableToElement";
                action = Ns.ACTION_PULL;
                d.body = "<n:Pull><n:EnumerationContext>" + context(r)
                        + "</n:EnumerationContext><n:MaxElements>" + (1 + r.nextInt(100)) + "</n:MaxElements></n:Pull>";
            }
            case 6 -> {
                d.family = "Release";
                uri = CIM + "CIM_ServiceAvailableToElement";
                action = Ns.ACTION_RELEASE;
                d.body = "<n:Release><n:EnumerationContext>" + context(r) + "</n:EnumerationContext></n:Release>";
            }
            case 7 -> {
                d.family = "Invoke";
                uri = POWER;
                action = POWER + "/RequestPowerStateChange";
                d.body = "<p:RequestPowerStateChange_INPUT xmlns:p=\"" + POWER + "\"><p:PowerState>"
                        + pick(r, "2", "5", "8", "10") + "</p:PowerState>" + (r.nextBoolean() ? "<p:ManagedElement>"
                        + eprTo(CIM + "CIM_ComputerSystem", "<w:Selector Name=\"Name\">ManagedSystem</w:Selector>")
                        + "</p:ManagedElement>" : "") + "</p:RequestPowerStateChange_INPUT>";
            }
            default -> {
                d.family = "Identify";
                d.wsmanNs = Ns.WSMID;
                d.body = "<w:Identify></w:Identify>";
                return d;
            }
        }
        d.headers.add(0, header("a:Action", action));
        d.headers.add(1, header("a:To", "/wsman"));
        d.headers.add(2, header("w:ResourceURI", uri));
        d.headers.add(3, header("a:MessageID", "uuid:" + new java.util.UUID(r.nextLong(), r.nextLong())));
        if (r.nextBoolean()) {
            d.headers.add(header("a:ReplyTo", "<a:Address>" + Ns.ANONYMOUS + "</a:Address>"));
        }
        if (r.nextBoolean()) {
            d.headers.add(header("w:OperationTimeout", "PT" + (1 + r.nextInt(60)) + "S"));
        }
        if (r.nextBoolean()) {
            d.headers.add("<w:MaxEnvelopeSize s:mustUnderstand=\"true\">" + (51200 + r.nextInt(100000))
                    + "</w:MaxEnvelopeSize>");
        }
        if (r.nextInt(4) == 0) {
            d.headers.add("<w:Locale xml:lang=\"en-US\" s:mustUnderstand=\"false\"></w:Locale>");
        }
        return d;
    }

    static final String[] BAD_NUMBERS = {"-1", "0", "-9223372036854775808", "9223372036854775807",
        "99999999999999999999999999", "NaN", "1e9", "0x10", " 12 ", "", "ten", "1.5", "+7", "٣", "2147483648"};
    static final String[] BAD_DURATIONS = {"PT0S", "-PT5S", "P99999999999Y", "PT99999999999999999999S", "PT0.0000001S",
        "P1Y2M3DT4H5M6.7S", "soon", "", "PT", "P", "PT-1S", "1000", "PT1.5.5S", "P1W", "PT1H1H", "PT1E9S"};

    /** Which structural mutation to apply: 16 kinds, each shaped after a class of hostile input. */
    static void mutate(Random r, Draft d) {
        List<String> h = d.headers;
        switch (r.nextInt(17)) {
            case 0 -> { // drop a header
                if (!h.isEmpty()) {
                    h.remove(r.nextInt(h.size()));
                }
            }
            case 1 -> { // duplicate a header
                if (!h.isEmpty()) {
                    h.add(r.nextInt(h.size() + 1), h.get(r.nextInt(h.size())));
                }
            }
            case 2 -> Collections.shuffle(h, r);
            case 3 -> { // wrong namespaces
                String wrong = pick(r, Ns.SOAP11, "urn:wrong", Ns.WSA + "/", Ns.WSMAN.toUpperCase(), Ns.WSEN,
                        "http://schemas.xmlsoap.org/ws/2004/09/addressing", "");
                switch (r.nextInt(3)) {
                    case 0 -> d.soapNs = wrong;
                    case 1 -> d.wsaNs = wrong;
                    default -> d.wsmanNs = wrong;
                }
            }
            case 4 -> d.soapNs = Ns.SOAP11;
            case 5 -> { // mustUnderstand junk
                String mu = " s:mustUnderstand=\"" + pick(r, "true", "1", "yes", "TRUE", "", " true ", "false",
                        "0", "maybe") + "\"";
                if (r.nextBoolean() && !h.isEmpty()) {
                    int i = r.nextInt(h.size());
                    String x = h.get(i);
                    int gt = x.indexOf('>');
                    h.set(i, x.substring(0, gt) + mu + x.substring(gt));
                } else {
                    String name = "x:" + pick(r, "Secret", "Security", "Action", "ResourceURI");
                    h.add(r.nextInt(h.size() + 1), "<" + name + " xmlns:x=\""
                            + pick(r, "urn:x", Ns.WSMAN, Ns.WSA, "http://docs.oasis-open.org/wss/2004/01/x") + "\""
                            + mu + ">" + r.nextInt() + "</" + name + ">");
                }
            }
            case 6 -> { // giant, negative or non-numeric limits
                String n = pick(r, BAD_NUMBERS);
                switch (r.nextInt(4)) {
                    case 0 -> h.add("<w:MaxEnvelopeSize s:mustUnderstand=\"true\">" + n + "</w:MaxEnvelopeSize>");
                    case 1 -> h.add(header("w:OperationTimeout", pick(r, BAD_DURATIONS)));
                    case 2 -> d.body = d.body.replaceAll("<(\\w):MaxElements>[^<]*<", "<$1:MaxElements>" + n + "<");
                    default -> {
                        String op = pick(r, "Enumerate", "Pull");
                        d.body = "<n:" + op + "><w:OptimizeEnumeration></w:OptimizeEnumeration><w:MaxElements>" + n
                                + "</w:MaxElements><n:MaxElements>" + n + "</n:MaxElements><n:MaxCharacters>" + n
                                + "</n:MaxCharacters><n:EnumerationContext>" + n + "</n:EnumerationContext></n:" + op
                                + ">";
                    }
                }
            }
            case 7 -> { // bad selectors
                String sel = switch (r.nextInt(8)) {
                    case 0 -> "<w:Selector>no name</w:Selector>";
                    case 1 -> "<w:Selector Name=\"InstanceID\">a</w:Selector><w:Selector Name=\"instanceid\">b</w:Selector>";
                    case 2 -> "<w:Selector Name=\"X\">1</w:Selector>".repeat(40);
                    case 3 -> "<w:Selector Name=\"InstanceID\">" + "z".repeat(r.nextInt(30000)) + "</w:Selector>";
                    case 4 -> "<w:Selector Name=\"InstanceID\"><b>nested</b><c>elements</c></w:Selector>";
                    case 5 -> "<w:Selector Name=\"\"></w:Selector>";
                    case 6 -> "<w:Selector Name=\"Name\">\u0000</w:Selector>";
                    default -> "<w:Selector Name=\"CreationClassName\">CIM_PowerManagementService</w:Selector>"
                            + "<w:Selector Name=\"Name\">Intel(r) AMT Power Management Service</w:Selector>"
                            + "<w:Selector Name=\"Extra\">1</w:Selector>";
                };
                h.removeIf(x -> x.startsWith("<w:SelectorSet"));
                h.add(header("w:SelectorSet", sel));
            }
            case 8 -> { // EPR-valued selectors and arguments, valid, broken and nested
                String epr = switch (r.nextInt(5)) {
                    case 0 -> eprTo(CIM + "CIM_ComputerSystem", "<w:Selector Name=\"Name\">ManagedSystem</w:Selector>");
                    case 1 -> "<a:Address>x</a:Address>";
                    case 2 -> eprTo(CIM + "CIM_Nothing", "");
                    case 3 -> "<a:ReferenceParameters><w:SelectorSet></w:SelectorSet></a:ReferenceParameters>";
                    default -> {
                        String inner = "<w:Selector Name=\"Name\">x</w:Selector>";
                        for (int i = 0; i < 1 + r.nextInt(20); i++) {
                            inner = "<w:Selector Name=\"S" + i + "\"><a:EndpointReference>" + eprTo(POWER, inner)
                                    + "</a:EndpointReference></w:Selector>";
                        }
                        yield eprTo(POWER, inner);
                    }
                };
                if (r.nextBoolean()) {
                    h.removeIf(x -> x.startsWith("<w:SelectorSet"));
                    h.add(header("w:SelectorSet", "<w:Selector Name=\"ServiceProvided\"><a:EndpointReference>" + epr
                            + "</a:EndpointReference></w:Selector>"));
                } else {
                    d.body = "<p:RequestPowerStateChange_INPUT xmlns:p=\"" + POWER + "\"><p:PowerState>2</p:PowerState>"
                            + "<p:ManagedElement>" + epr + "</p:ManagedElement></p:RequestPowerStateChange_INPUT>";
                }
            }
            case 9 -> d.prolog = pick(r, // DOCTYPE and entities
                    "<!DOCTYPE s:Envelope [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
                    "<!DOCTYPE lolz [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                            + "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>",
                    "<!DOCTYPE s [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/evil.dtd\"> %p;]>",
                    "<!DOCTYPE s SYSTEM \"http://127.0.0.1:1/x.dtd\">",
                    "<?xml version=\"1.0\"?><!DOCTYPE s [<!ELEMENT s ANY>]>");
            case 10 -> { // deep nesting, in the body or a header
                int depth = 10 + r.nextInt(r.nextBoolean() ? 100 : 9000);
                String deep = "<d:x xmlns:d=\"urn:d\">" + "<d:x>".repeat(depth) + "v" + "</d:x>".repeat(depth + 1);
                if (r.nextBoolean()) {
                    d.body = deep;
                } else {
                    h.add(r.nextInt(h.size() + 1), deep);
                }
            }
            case 11 -> { // many attributes, or a repeated one
                int n = 1 + r.nextInt(r.nextBoolean() ? 50 : 6000);
                StringBuilder attrs = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    attrs.append(" a").append(r.nextBoolean() ? i : r.nextInt(n)).append("=\"").append(i).append('"');
                }
                String target = r.nextBoolean() && !h.isEmpty() ? "header" : "body";
                if (target.equals("header")) {
                    int i = r.nextInt(h.size());
                    String x = h.get(i);
                    int gt = x.indexOf('>');
                    h.set(i, x.substring(0, gt) + attrs + x.substring(gt));
                } else {
                    d.envelopeExtra = attrs.toString();
                }
            }
            case 12 -> { // oversized: beyond the request limit, or just below it
                int size = r.nextBoolean() ? MAX_REQUEST_BYTES + r.nextInt(30000) : MAX_REQUEST_BYTES - 600;
                h.add(header("w:Junk", "j".repeat(Math.max(0, size - d.render().length()))));
            }
            case 13 -> { // odd Action and ResourceURI values
                String odd = pick(r, "", " ", "urn:x", Ns.WXF + "/Get/../Put", POWER + "/", POWER + "/" + "M".repeat(3000),
                        "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/../../etc/passwd", CIM + "CIM_ÄÖÜ",
                        CIM + "CIM_PowerManagementService?__cimnamespace=root/interop", "&lt;&amp;&gt;",
                        Ns.WSEN + "/Renew", Ns.WSEN + "/GetStatus", "http://schemas.xmlsoap.org/ws/2004/08/eventing/Subscribe");
                String which = r.nextBoolean() ? "a:Action" : "w:ResourceURI";
                h.removeIf(x -> x.startsWith("<" + which));
                h.add(r.nextInt(h.size() + 1), header(which, odd));
            }
            case 14 -> d.prolog = pick(r, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
                    "<?xml version=\"1.0\" encoding=\"EBCDIC-CP-US\"?>", "<?xml version=\"1.1\"?>",
                    "<?xml version=\"2.0\"?>", "<?xml version=\"1.0\" encoding=\"x-no-such\"?>", "\uFEFF",
                    "<?xml version=\"1.0\" standalone=\"maybe\"?>", "<!-- " + "-".repeat(10) + " -->",
                    "<?xml-stylesheet href=\"http://127.0.0.1:1/x.xsl\"?>");
            case 15 -> { // comments, CDATA and processing instructions inside header values
                if (!h.isEmpty()) {
                    int i = r.nextInt(h.size());
                    String x = h.get(i);
                    int gt = x.indexOf('>');
                    h.set(i, x.substring(0, gt + 1) + pick(r, "<!--c-->", "<![CDATA[ ]]>", "<?pi x?>", "&#x20;", "&amp;")
                            + x.substring(gt + 1));
                }
            }
            default -> { // the body's payload replaced by something of the wrong kind
                d.body = pick(r, "", "text only", "<n:Enumerate></n:Enumerate><n:Enumerate></n:Enumerate>",
                        "<r:AMT_GeneralSettings xmlns:r=\"" + CIM + "CIM_PowerManagementService\"><r:HostName>x"
                                + "</r:HostName></r:AMT_GeneralSettings>",
                        "<r:AMT_Policy xmlns:r=\"" + AMT + "AMT_Policy\"><r:Bogus>1</r:Bogus></r:AMT_Policy>",
                        "<p:RequestPowerStateChange_INPUT xmlns:p=\"" + POWER + "\"><p:PowerState>" + pick(r, BAD_NUMBERS)
                                + "</p:PowerState><p:PowerState>2</p:PowerState></p:RequestPowerStateChange_INPUT>",
                        "<n:Enumerate><w:Filter Dialect=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding/"
                                + "associationFilter\"><w:AssociatedInstances><w:Object>" + eprTo(POWER, "")
                                + "</w:Object></w:AssociatedInstances></w:Filter></n:Enumerate>",
                        "<n:Enumerate><w:Filter Dialect=\"http://www.w3.org/TR/1999/REC-xpath-19991116\">//*"
                                + "</w:Filter></n:Enumerate>",
                        "<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault>",
                        "<s:Envelope><s:Body></s:Body></s:Envelope>");
            }
        }
    }

    static final byte[][] BAD_UTF8 = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {0x00}, {0x1B}};

    /** Byte-level damage after rendering: invalid UTF-8, truncation, flipped bytes. */
    static byte[] damage(Random r, byte[] b) {
        switch (r.nextInt(3)) {
            case 0 -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                int at = r.nextInt(b.length + 1);
                out.write(b, 0, at);
                out.writeBytes(BAD_UTF8[r.nextInt(BAD_UTF8.length)]);
                out.write(b, at, b.length - at);
                return out.toByteArray();
            }
            case 1 -> {
                return java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
            }
            default -> {
                byte[] c = b.clone();
                for (int i = 0, n = 1 + r.nextInt(8); i < n && c.length > 0; i++) {
                    c[r.nextInt(c.length)] ^= (byte) (1 << r.nextInt(8));
                }
                return c;
            }
        }
    }

    /** Things that are not XML at all. */
    static byte[] nonXml(Random r) {
        return switch (r.nextInt(7)) {
            case 0 -> new byte[0];
            case 1 -> " \r\n\t ".getBytes(StandardCharsets.US_ASCII);
            case 2 -> {
                byte[] b = new byte[r.nextInt(5000)];
                r.nextBytes(b);
                yield b;
            }
            case 3 -> "{\"Envelope\":{\"Body\":{\"Identify\":{}}}}".getBytes(StandardCharsets.US_ASCII);
            case 4 -> "<html><body><form><input name=a></form>".getBytes(StandardCharsets.US_ASCII);
            case 5 -> "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            default -> "\u0000<s:Envelope/>".getBytes(StandardCharsets.UTF_8);
        };
    }

    /**
     * Authorization headers that must all end in a 401 ({nonce} is the client's current nonce). They
     * name another user than the valid clients' admin: failed logins lock a user out from the
     * failing address, which would otherwise lock the test's own admin out.
     */
    static String brokenAuthorization(Random r) {
        String good = "username=\"intruder\", realm=\"" + REALM + "\", nonce=\"{nonce}\", uri=\"/wsman\", qop=auth, "
                + "nc=00000001, cnonce=\"ab\", response=\"" + "0123456789abcdef".repeat(2) + "\"";
        return switch (r.nextInt(11)) {
            case 0 -> "Basic YWRtaW46SDBzdGlsZS10ZXN0IQ==";
            case 1 -> "Digest ";
            case 2 -> "Digest username=\"intruder\", realm=\"" + REALM + "\", nonce=\"{nonce}\", uri=\"/wsman\", "
                    + "qop=auth, nc=00000001, cnonce=\"ab\", response=\"" + Long.toHexString(r.nextLong()) + "\"";
            case 3 -> "Digest " + good.replace(REALM, "Digest:00000000000000000000000000000000");
            case 4 -> "Digest " + good.replace("uri=\"/wsman\"", "uri=\"/other\"");
            case 5 -> "Digest " + good + ", algorithm=SHA-256";
            case 6 -> "Digest " + good.replace("qop=auth", "qop=auth-int");
            case 7 -> "Digest username=\"intruder";
            case 8 -> "Digest " + "x=\"y\", ".repeat(300);
            case 9 -> "Digest " + good.replace("{nonce}", Long.toHexString(r.nextLong()));
            default -> "Digest " + good.replace("nc=00000001, cnonce=\"ab\", ", "");
        };
    }

    /** Case {@code index}: a valid request of one of nine operations, mutated, maybe damaged, maybe unauthenticated. */
    static Case generate(int index) {
        Random r = new Random(SEED ^ (index * 0x9E3779B97F4A7C15L));
        Auth auth;
        int a = r.nextInt(100);
        String broken = null;
        if (a < 6) {
            auth = Auth.NONE;
        } else if (a < 12) {
            auth = Auth.BROKEN;
            broken = brokenAuthorization(r);
        } else {
            auth = Auth.VALID;
        }
        if (r.nextInt(25) == 0) {
            return new Case("non-XML", nonXml(r), auth, broken);
        }
        Draft d = valid(r, r.nextInt(9));
        StringBuilder family = new StringBuilder(d.family);
        int mutations = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            mutate(r, d);
        }
        family.append(" +").append(mutations).append(" mutations");
        byte[] body = d.render().getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(5) == 0) {
            body = damage(r, body);
            family.append(" +damaged");
        }
        return new Case(family.toString(), body, auth, broken);
    }
}
