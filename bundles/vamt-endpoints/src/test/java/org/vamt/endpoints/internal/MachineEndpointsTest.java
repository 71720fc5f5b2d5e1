package org.vamt.endpoints.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.MachineId;

/** The endpoint map and its file: addresses stay with their VMs across restarts. */
class MachineEndpointsTest {
    @TempDir
    Path etc;

    private static MachineId vm(String uuid, String name) {
        return new MachineId(uuid, name);
    }

    private static MachineEndpoints addresses(Path file) {
        return new MachineEndpoints(MachineEndpoints.Settings.addresses("127.0.0.2", 16992), new EndpointFile(file));
    }

    private static MachineEndpoints.Endpoint endpoint(MachineEndpoints map, String uuid) {
        return map.all().stream().filter(e -> e.uuid().equals(uuid)).findFirst().orElseThrow();
    }

    private String address(MachineEndpoints map, String uuid) {
        return map.all().stream().filter(e -> e.uuid().equals(uuid)).findFirst().orElseThrow().address();
    }

    @Test
    void aNewVmSortingFirstDoesNotShiftTheOthersAfterARestart() {
        Path file = etc.resolve("vamt-endpoints.properties");
        MachineEndpoints first = addresses(file);
        first.sync(List.of(vm("b", "bravo"), vm("c", "charlie")));
        assertEquals("127.0.0.2", address(first, "b"));
        assertEquals("127.0.0.3", address(first, "c"));

        MachineEndpoints restarted = addresses(file);
        restarted.sync(List.of(vm("a", "alpha"), vm("b", "bravo"), vm("c", "charlie")));
        assertEquals("127.0.0.2", address(restarted, "b"), "bravo keeps its address");
        assertEquals("127.0.0.3", address(restarted, "c"));
        assertEquals("127.0.0.4", address(restarted, "a"), "the newcomer takes the next free one");
    }

    @Test
    void movedAddressesPersistAndUndefinedVmsGiveTheirsBack() {
        Path file = etc.resolve("vamt-endpoints.properties");
        MachineEndpoints map = addresses(file);
        map.sync(List.of(vm("b", "bravo"), vm("c", "charlie")));
        map.move("c", "127.0.0.9");
        assertThrows(IllegalArgumentException.class, () -> map.move("c", "127.0.0.2"), "taken by bravo");
        assertThrows(IllegalArgumentException.class, () -> map.move("c", "not-an-address"));
        MachineEndpoints restarted = addresses(file);
        restarted.sync(List.of(vm("b", "bravo"), vm("c", "charlie")));
        assertEquals("127.0.0.9", address(restarted, "c"));
        map.remove("b");
        MachineEndpoints later = addresses(file);
        later.sync(List.of(vm("c", "charlie"), vm("d", "delta")));
        assertEquals("127.0.0.2", address(later, "d"), "bravo's address was given back");
    }

    @Test
    void addressesGivenBackInARunGoToTheNextNewcomerAndKeptOnesStayReserved() {
        Path file = etc.resolve("vamt-endpoints.properties");
        MachineEndpoints first = addresses(file);
        first.sync(List.of(vm("a", "alpha"), vm("b", "bravo"), vm("c", "charlie"), vm("d", "delta")));
        MachineEndpoints map = addresses(file);   // delta is not there this time: its address stays its own
        map.sync(List.of(vm("a", "alpha"), vm("b", "bravo"), vm("c", "charlie")));
        map.remove("b");
        assertEquals("127.0.0.3", map.add("e", "echo").address(), "bravo's address, given back in this run");
        map.move("a", "127.0.0.20");
        assertEquals("127.0.0.2", map.add("f", "foxtrot").address(), "alpha's old address, moved away from");
        assertEquals("127.0.0.6", map.add("g", "golf").address(), "past charlie (.4) and the absent delta (.5)");
        map.remove("d");
        assertEquals("127.0.0.5", map.add("h", "hotel").address(), "delta's address once delta is forgotten");
        assertEquals("127.0.0.7", map.add("i", "india").address());
    }

    @Test
    void theFirstFileFormatIsReadAndRenamesKeepTheEndpoint() throws Exception {
        Path file = etc.resolve("vamt-endpoints.properties");
        Files.writeString(file, "b = 127.0.0.7\n");
        MachineEndpoints map = addresses(file);
        map.sync(List.of(vm("a", "alpha"), vm("b", "bravo")));
        assertEquals("127.0.0.7", address(map, "b"));
        assertEquals("127.0.0.2", address(map, "a"));
        map.add("b", "bravo-renamed");
        MachineEndpoints restarted = addresses(file);
        restarted.sync(List.of(vm("a", "alpha"), vm("b", "bravo-renamed")));
        assertEquals("127.0.0.7", address(restarted, "b"));
        assertEquals("bravo-renamed", endpoint(restarted, "b").name());
    }

    @Test
    void portStrategyGivesEachVmItsOwnPortAndTheNextForTls() {
        Path file = etc.resolve("vamt-endpoints.properties");
        MachineEndpoints.Settings ports = new MachineEndpoints.Settings(MachineEndpoints.Strategy.PORT, "127.0.0.1",
                16992, 20000, 2, "");
        MachineEndpoints map = new MachineEndpoints(ports, new EndpointFile(file));
        map.sync(List.of(vm("b", "bravo"), vm("a", "alpha")));
        assertEquals(20000, endpoint(map, "a").port());
        assertEquals(20002, endpoint(map, "b").port());
        assertEquals("127.0.0.1", endpoint(map, "b").address());
        assertEquals("b", map.route("127.0.0.1", 20002, false, null).orElseThrow().uuid());
        assertEquals("b", map.route("127.0.0.1", 20003, true, null).orElseThrow().uuid(), "TLS: the next port");
        assertTrue(map.route("127.0.0.1", 20004, false, null).isEmpty());
        map.move("a", "20010");
        assertThrows(IllegalArgumentException.class, () -> map.move("a", "20002"), "bravo's port");
        assertThrows(IllegalArgumentException.class, () -> map.move("a", "70000"));
        MachineEndpoints restarted = new MachineEndpoints(ports, new EndpointFile(file));
        restarted.sync(List.of(vm("a", "alpha"), vm("b", "bravo"), vm("c", "charlie")));
        assertEquals(20010, endpoint(restarted, "a").port());
        assertEquals(20000, endpoint(restarted, "c").port(), "alpha's old port was given back");
    }

    @Test
    void hostStrategyRoutesByTheHostHeader() {
        MachineEndpoints.Settings hosts = new MachineEndpoints.Settings(MachineEndpoints.Strategy.HOST, "127.0.0.1",
                16992, 0, 1, "vamt.test");
        MachineEndpoints map = new MachineEndpoints(hosts, new MachineEndpoints.MemoryStore());
        map.sync(List.of(vm("a", "Desktop_01"), vm("b", "kiosk"), vm("c", "desktop-01")));
        // name order: "Desktop_01" sorts before "desktop-01" and takes the plain name
        assertEquals("desktop-01.vamt.test", endpoint(map, "a").hostName());
        assertEquals("desktop-01-2.vamt.test", endpoint(map, "c").hostName(), "names that clash get a number");
        assertEquals("b", map.route("127.0.0.1", 16992, false, "KIOSK.vamt.test:16992").orElseThrow().uuid());
        assertEquals("c", map.route("127.0.0.1", 16993, true, "desktop-01-2.vamt.test").orElseThrow().uuid());
        assertFalse(map.route("127.0.0.1", 16992, false, "127.0.0.1:16992").isPresent(), "no VM by address");
        assertFalse(map.route("127.0.0.1", 16992, false, null).isPresent());
        map.move("b", "Front-Desk.vamt.test");
        assertEquals("b", map.route("127.0.0.1", 16992, false, "front-desk.vamt.test").orElseThrow().uuid());
        assertThrows(IllegalArgumentException.class, () -> map.move("b", "desktop-01.vamt.test"));
        assertThrows(IllegalArgumentException.class, () -> map.move("b", "bad name!"));
        assertEquals("[::1]", "[" + MachineEndpoints.hostOf("[::1]:16992") + "]");
    }

    @Test
    void perVmConfigurationsOfEarlierVersionsAreTakenIntoTheOneFileAndDeleted() throws Exception {
        Path file = etc.resolve("vamt-endpoints.properties");
        Files.writeString(file, "a = 127.0.0.2\nb = 127.0.0.3\n");
        // an operator's pin the way versions up to issue 21 kept identities: it wins over the file
        Path pin = etc.resolve("org.vamt.endpoint-b.cfg");
        Files.writeString(pin, "uuid = B\nname = bravo\naddress = 127.0.0.40\nport = 16992\nhostName = bravo\n");
        Files.writeString(etc.resolve("org.vamt.endpoint-c.cfg"), "uuid = c\nname = charlie\naddress = 127.0.0.41\n");
        MachineEndpoints map = new MachineEndpoints(MachineEndpoints.Settings.addresses("127.0.0.2", 16992),
                new EndpointFile(file, new LegacyEndpointConfigurations(null, etc)));
        map.sync(List.of(vm("a", "alpha"), vm("b", "bravo"), vm("c", "charlie")));
        assertEquals("127.0.0.2", address(map, "a"));
        assertEquals("127.0.0.40", address(map, "b"));
        assertEquals("127.0.0.41", address(map, "c"));
        assertFalse(Files.exists(pin), "taken in, then deleted");
        assertFalse(Files.exists(etc.resolve("org.vamt.endpoint-c.cfg")));

        MachineEndpoints restarted = addresses(file);
        restarted.sync(List.of(vm("a", "alpha"), vm("b", "bravo"), vm("c", "charlie")));
        assertEquals("127.0.0.40", address(restarted, "b"), "the pin is in the one file now");
        assertEquals("127.0.0.41", address(restarted, "c"));
    }

    @Test
    void aFileEditedWhileRunningIsKeptAsideNotOverwrittenSilently() throws Exception {
        Path file = etc.resolve("vamt-endpoints.properties");
        MachineEndpoints map = addresses(file);
        map.sync(List.of(vm("a", "alpha")));
        String edited = "a = 127.0.0.77\n";
        Files.writeString(file, edited);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1_000));
        map.add("b", "bravo");
        assertEquals(edited, Files.readString(etc.resolve("vamt-endpoints.properties.edited")));
        assertTrue(Files.readString(file).contains("b=127.0.0.3"), Files.readString(file));
    }

    @Test
    void theFileListsEachVmsLinesTogetherInUuidOrder() throws Exception {
        Path file = etc.resolve("vamt-endpoints.properties");
        MachineEndpoints map = addresses(file);
        map.sync(List.of(vm("c", "charlie"), vm("a", "alpha"), vm("b", "bravo")));
        List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.startsWith("#")).toList();
        assertEquals(List.of("a=127.0.0.2", "a.hostName=alpha", "a.name=alpha", "a.port=16992",
                "b=127.0.0.3", "b.hostName=bravo", "b.name=bravo", "b.port=16992",
                "c=127.0.0.4", "c.hostName=charlie", "c.name=charlie", "c.port=16992"), lines);
    }
}
