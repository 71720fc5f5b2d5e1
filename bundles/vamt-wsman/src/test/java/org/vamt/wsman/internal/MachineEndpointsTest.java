package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vamt.hypervisor.MachineInfo;
import org.vamt.hypervisor.MachineState;

/** The endpoint map and its file: addresses stay with their VMs across restarts. */
class MachineEndpointsTest {
    @TempDir
    Path etc;

    private static MachineInfo vm(String uuid, String name) {
        return new MachineInfo(uuid, name, MachineState.RUNNING, 1, 1, 1024);
    }

    private String address(MachineEndpoints map, String uuid) {
        return map.all().stream().filter(e -> e.uuid().equals(uuid)).findFirst().orElseThrow().address();
    }

    @Test
    void aNewVmSortingFirstDoesNotShiftTheOthersAfterARestart() {
        Path file = etc.resolve("vamt-endpoints.properties");
        MachineEndpoints first = new MachineEndpoints("127.0.0.2", file);
        first.sync(List.of(vm("b", "bravo"), vm("c", "charlie")));
        assertEquals("127.0.0.2", address(first, "b"));
        assertEquals("127.0.0.3", address(first, "c"));

        MachineEndpoints restarted = new MachineEndpoints("127.0.0.2", file);
        restarted.sync(List.of(vm("a", "alpha"), vm("b", "bravo"), vm("c", "charlie")));
        assertEquals("127.0.0.2", address(restarted, "b"), "bravo keeps its address");
        assertEquals("127.0.0.3", address(restarted, "c"));
        assertEquals("127.0.0.4", address(restarted, "a"), "the newcomer takes the next free one");
    }

    @Test
    void movedAddressesPersistAndUndefinedVmsGiveTheirsBack() {
        Path file = etc.resolve("vamt-endpoints.properties");
        MachineEndpoints map = new MachineEndpoints("127.0.0.2", file);
        map.sync(List.of(vm("b", "bravo"), vm("c", "charlie")));
        map.move("c", "127.0.0.9");
        assertThrows(IllegalArgumentException.class, () -> map.move("c", "127.0.0.2"), "taken by bravo");
        assertThrows(IllegalArgumentException.class, () -> map.move("c", "not-an-address"));
        MachineEndpoints restarted = new MachineEndpoints("127.0.0.2", file);
        restarted.sync(List.of(vm("b", "bravo"), vm("c", "charlie")));
        assertEquals("127.0.0.9", address(restarted, "c"));
        map.remove("b");
        MachineEndpoints later = new MachineEndpoints("127.0.0.2", file);
        later.sync(List.of(vm("c", "charlie"), vm("d", "delta")));
        assertEquals("127.0.0.2", address(later, "d"), "bravo's address was given back");
    }
}
