package org.vamt.itests;

import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.vamt.cim.spi.CimObjectManager;

/**
 * Golden exchanges: for every class the CIMOM serves, request/response pairs written from the
 * compatibility specification ({@code src/test/resources/golden/<Class>/}, format in its
 * README) are replayed against the real distribution and the answers compared after
 * canonicalisation. A served class without a golden exchange fails the test, so every class
 * added to vAMT comes with its expected wire format. The answers received are written to
 * {@code target/golden-actual/} (also for classes without exchanges, as a starting point that
 * must be checked against the specification before it becomes golden).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GoldenExchangeIT {
    static final int PORT = 46992;
    /** Demo VMs by address (etc/vamt-demo-vms.xml, addresses in name order from 127.0.0.2). */
    static final Map<String, String> VMS = Map.of("build-server", "127.0.0.2", "desktop-01", "127.0.0.3");
    static final String DEFAULT_VM = "desktop-01";

    private static final Pattern STEP = Pattern.compile("(.+?)(?:\\.(\\d+))?\\.request\\.xml");

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(KarafContainer.options("exam-golden", PORT, 4),
            systemProperty("vamt.golden.dir").value(System.getProperty("vamt.golden.dir")),
            systemProperty("vamt.golden.actual.dir").value(System.getProperty("vamt.golden.actual.dir")));
    }

    @Test
    public void everyServedClassAnswersItsGoldenExchanges() throws Exception {
        String goldenProperty = System.getProperty("vamt.golden.dir");
        assertTrue("vamt.golden.dir is not set (itests/pom.xml passes it to failsafe)", goldenProperty != null);
        Path golden = Paths.get(goldenProperty);
        Path actualDir = Paths.get(System.getProperty("vamt.golden.actual.dir", "target/golden-actual"));
        assertTrue("golden exchanges at " + golden, Files.isDirectory(golden));
        awaitEndpoint();
        CimObjectManager cimom = context.getService(context.getServiceReference(CimObjectManager.class));
        Set<String> served = new TreeSet<>(cimom.servedClasses());
        List<String> problems = new ArrayList<>();
        int exchanges = 0;
        for (String cls : served) {
            Path dir = golden.resolve(cls);
            Map<String, List<Path>> sequences = sequences(dir);
            if (sequences.isEmpty()) {
                problems.add(cls + ": no golden exchange in " + golden.relativize(dir));
                proposeFor(cls, actualDir.resolve(cls));
                continue;
            }
            for (Map.Entry<String, List<Path>> sequence : sequences.entrySet()) {
                exchanges += sequence.getValue().size();
                problems.addAll(replay(cls, sequence.getKey(), sequence.getValue(), actualDir.resolve(cls)));
            }
        }
        try (Stream<Path> dirs = Files.list(golden)) {
            dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString())
                    .filter(d -> served.stream().noneMatch(d::equalsIgnoreCase))
                    .forEach(d -> problems.add(d + ": golden exchanges for a class the CIMOM does not serve"));
        }
        assertTrue(served.size() + " served classes, " + exchanges + " exchanges; " + problems.size()
                + " problems:\n" + String.join("\n", problems), problems.isEmpty());
    }

    /**
     * Every class the distribution serves, on both demo VMs (one running, one off), answers in
     * AMT's order ({@link AmtOrder}): each instance of an enumeration (pulled to the end, with its
     * EPR) and of a selector-less Get, and every SelectorSet in those answers.
     */
    @Test
    public void everyServedClassAnswersInAmtsOrder() throws Exception {
        awaitEndpoint();
        CimObjectManager cimom = context.getService(context.getServiceReference(CimObjectManager.class));
        Set<String> served = new TreeSet<>(cimom.servedClasses());
        List<String> problems = new ArrayList<>();
        int instances = 0;
        for (Map.Entry<String, String> vm : new TreeMap<>(VMS).entrySet()) {
            WsmanClient client = new WsmanClient(vm.getValue(), PORT);
            for (String cls : served) {
                String where = cls + "@" + vm.getKey();
                String uri = resourceUri(cls);
                List<String> answers = new ArrayList<>();
                String answer = client.post(WsmanClient.envelope(WsmanClient.ENUMERATE, uri,
                        "<n:Enumerate xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\">"
                                + "<w:OptimizeEnumeration></w:OptimizeEnumeration><w:MaxElements>999</w:MaxElements>"
                                + "<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode></n:Enumerate>")).body();
                answers.add(answer);
                for (int pulls = 0; pulls < 20; pulls++) {
                    Matcher m = CONTEXT.matcher(answer);
                    if (!m.find()) {
                        break;
                    }
                    answer = client.post(WsmanClient.envelope(WsmanClient.PULL, uri,
                            "<n:Pull xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\"><n:EnumerationContext>"
                                    + m.group(1) + "</n:EnumerationContext><n:MaxElements>999</n:MaxElements></n:Pull>"))
                            .body();
                    answers.add(answer);
                }
                HttpResponse<String> get = client.post(client.get(uri, null));
                if (get.statusCode() == 200) {
                    answers.add(get.body());
                }
                for (String a : answers) {
                    instances += a.split(":Item>").length / 2;
                    problems.addAll(AmtOrder.violations(where, a));
                }
            }
        }
        assertTrue(served.size() + " served classes, " + instances + " instances enumerated; " + problems.size()
                + " out of AMT's order:\n" + String.join("\n", problems), problems.isEmpty() && instances > served.size());
    }

    private static final Pattern CONTEXT = Pattern.compile("EnumerationContext>([^<]+)</");

    /** Request files of a class grouped into sequences (name without step number), steps in order. */
    private static Map<String, List<Path>> sequences(Path dir) throws IOException {
        Map<String, TreeMap<Integer, Path>> bySequence = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return Map.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = STEP.matcher(f.getFileName().toString());
                if (m.matches()) {
                    bySequence.computeIfAbsent(m.group(1), k -> new TreeMap<>())
                            .put(m.group(2) == null ? 0 : Integer.parseInt(m.group(2)), f);
                }
            }
        }
        Map<String, List<Path>> out = new TreeMap<>();
        bySequence.forEach((k, v) -> out.put(k, new ArrayList<>(v.values())));
        return out;
    }

    /** Runs one sequence on its VM; values captured by a response feed the later requests. */
    private List<String> replay(String cls, String sequence, List<Path> steps, Path actualDir) throws Exception {
        List<String> problems = new ArrayList<>();
        String vm = sequence.contains("@") ? sequence.substring(sequence.indexOf('@') + 1) : DEFAULT_VM;
        String address = VMS.get(vm);
        if (address == null) {
            problems.add(cls + "/" + sequence + ": unknown VM '" + vm + "' (known: " + VMS.keySet() + ")");
            return problems;
        }
        WsmanClient client = new WsmanClient(address, PORT);
        Map<String, String> captures = new HashMap<>();
        for (Path request : steps) {
            String name = request.getFileName().toString().replace(".request.xml", "");
            String where = cls + "/" + name;
            Path expectedFile = request.resolveSibling(name + ".response.xml");
            String sent;
            try {
                sent = GoldenXml.substitute(Files.readString(request), captures);
            } catch (IllegalArgumentException e) {
                problems.add(where + ": " + e.getMessage());
                return problems;
            }
            HttpResponse<String> answer = client.post(sent);
            Files.createDirectories(actualDir);
            Files.writeString(actualDir.resolve(name + ".response.xml"), answer.body(), StandardCharsets.UTF_8);
            MeshCentralXmlRules.violations(answer.body()).forEach(v -> problems.add(where + ": " + v));
            if (!Files.exists(expectedFile)) {
                problems.add(where + ": no " + expectedFile.getFileName() + " (the answer is in " + actualDir + ")");
                return problems;
            }
            String expected = Files.readString(expectedFile);
            int status = GoldenXml.isFault(expected) ? 400 : 200;
            if (answer.statusCode() != status) {
                problems.add(where + ": HTTP " + answer.statusCode() + ", expected " + status);
            }
            GoldenXml.differences(expected, answer.body(), captures).forEach(d -> problems.add(where + ": " + d));
        }
        return problems;
    }

    /** For a class without golden exchanges: what a plain Enumerate/Pull and Get answer, to start from. */
    private static void proposeFor(String cls, Path actualDir) throws Exception {
        String uri = resourceUri(cls);
        for (String vm : VMS.keySet()) {
            WsmanClient client = new WsmanClient(VMS.get(vm), PORT);
            Files.createDirectories(actualDir);
            Files.writeString(actualDir.resolve("proposed-enumerate@" + vm + ".response.xml"),
                    client.post(client.enumerateAll(uri)).body(), StandardCharsets.UTF_8);
            Files.writeString(actualDir.resolve("proposed-get@" + vm + ".response.xml"),
                    client.post(client.get(uri, null)).body(), StandardCharsets.UTF_8);
        }
    }

    static String resourceUri(String cls) {
        return (cls.startsWith("AMT_") ? "http://intel.com/wbem/wscim/1/amt-schema/1/"
                : cls.startsWith("IPS_") ? "http://intel.com/wbem/wscim/1/ips-schema/1/"
                : cls.startsWith("CIM_") ? WsmanClient.CIM : "http://schemas.vamt.org/wbem/wscim/1/vamt-schema/1/") + cls;
    }

    /** Waits until every VM endpoint answers (SCR and Jetty start asynchronously) or 60 s pass. */
    private static void awaitEndpoint() throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        for (String address : VMS.values()) {
            WsmanClient client = new WsmanClient(address, PORT);
            String probe = client.get(WsmanClient.CIM + "CIM_SoftwareIdentity",
                    "<w:Selector Name=\"InstanceID\">AMT</w:Selector>");
            while (true) {
                try {
                    if (client.post(probe).statusCode() == 200) {
                        break;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("no answer from " + address + ":" + PORT + " within 60 s");
                }
                Thread.sleep(250);
            }
        }
    }
}
