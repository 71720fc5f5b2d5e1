package org.vamt.endpoints.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoint map written behind its changes, on the real endpoint file: a burst of new VMs costs
 * far fewer writes than VMs, the file ends with every VM, a move is on disk when it returns, and a
 * write that fails reaches whoever waits for it.
 */
class WriteBehindStoreTest {
    @TempDir
    Path dir;

    /** The real file, counting its writes. */
    static final class CountingFile implements MachineEndpoints.Store {
        final EndpointFile file;
        final AtomicInteger writes = new AtomicInteger();

        CountingFile(Path path) {
            file = new EndpointFile(path);
        }

        @Override
        public Map<String, MachineEndpoints.Identity> load() {
            return file.load();
        }

        @Override
        public void save(Collection<MachineEndpoints.Identity> identities) {
            writes.incrementAndGet();
            file.save(identities);
        }
    }

    @Test
    void aBurstOfNewVmsIsWrittenInFewWritesAndAllArriveOnDisk() throws Exception {
        Path path = dir.resolve("vamt-endpoints.properties");
        CountingFile file = new CountingFile(path);
        WriteBehindStore store = new WriteBehindStore(file);
        MachineEndpoints map = new MachineEndpoints(MachineEndpoints.Settings.addresses("127.1.0.1", 16992), store);
        int vms = 1000;
        MachineEndpoints.Endpoint last = null;
        for (int i = 0; i < vms; i++) {
            last = map.add(String.format("00000000-0000-0000-0000-%012d", i), "vm-" + i);
        }
        store.flush();
        System.out.println("WriteBehindStore: " + vms + " new VMs, " + file.writes.get() + " writes");
        assertTrue(file.writes.get() < vms / 2, "writes coalesced: " + file.writes.get() + " for " + vms + " VMs");
        Map<String, MachineEndpoints.Identity> kept = new EndpointFile(path).load();
        assertEquals(vms, kept.size());
        assertEquals(last.address(), kept.get(last.uuid()).address());

        map.move("00000000-0000-0000-0000-000000000999", "127.9.0.1");
        // no flush here: a move is durable when it returns
        assertEquals("127.9.0.1", new EndpointFile(path).load().get("00000000-0000-0000-0000-000000000999").address());
        store.close();
    }

    @Test
    void aFailedWriteReachesTheOneWhoWaitsAndTheNextChangeTriesAgain() throws Exception {
        Path blocked = dir.resolve("not-a-directory");
        Files.writeString(blocked, "a file where the map's directory should be");
        WriteBehindStore store = new WriteBehindStore(new EndpointFile(blocked.resolve("vamt-endpoints.properties")));
        MachineEndpoints map = new MachineEndpoints(MachineEndpoints.Settings.addresses("127.1.0.1", 16992), store);
        map.add("00000000-0000-0000-0000-000000000001", "vm-1");
        assertThrows(UncheckedIOException.class, store::flush);

        Files.delete(blocked);
        Files.createDirectory(blocked);
        map.add("00000000-0000-0000-0000-000000000002", "vm-2");
        store.flush();
        assertEquals(2, new EndpointFile(blocked.resolve("vamt-endpoints.properties")).load().size());
        store.close();
    }
}
