package org.vamt.remote.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.reflect.Method;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.vamt.remote.NodeHypervisor;

class ReadCacheTest {
    static final String VM = "6F8C1A52-4B1E-4D6A-9A01-000000000001";
    final AtomicLong nanos = new AtomicLong();
    final ReadCache cache = new ReadCache(1000, nanos::get);

    @Test
    void keepsAnAnswerUntilItsAge() {
        cache.put(VM, cache.version(VM), "hardware", "h1");
        assertEquals("h1", cache.get(VM.toLowerCase(), "hardware"), "the UUID's case does not matter");
        nanos.addAndGet(1_000_000_000L);
        assertEquals("h1", cache.get(VM, "hardware"));
        nanos.addAndGet(1);
        assertSame(ReadCache.MISS, cache.get(VM, "hardware"), "older than maxAge: read again");
    }

    @Test
    void aFetchThatStartedBeforeAChangeIsNotKept() {
        long before = cache.version(VM);
        cache.forget(VM);   // the node journaled a change while the fetch was under way
        cache.put(VM, before, "hardware", "stale");
        assertSame(ReadCache.MISS, cache.get(VM, "hardware"));
        cache.put(VM, cache.version(VM), "hardware", "fresh");
        assertEquals("fresh", cache.get(VM, "hardware"));
        cache.forget(VM);
        assertSame(ReadCache.MISS, cache.get(VM, "hardware"));
    }

    @Test
    void aSweptVmDoesNotTakeAFetchStartedBeforeTheSweep() {
        long before = cache.version(VM);
        nanos.addAndGet(2_000_000_000L);
        cache.sweep();
        assertEquals(0, cache.size());
        cache.put(VM, before, "hardware", "late");
        assertSame(ReadCache.MISS, cache.get(VM, "hardware"));
    }

    @Test
    void keysNameTheReadAndItsArgumentsButNotTheVm() throws Exception {
        Method readState = NodeHypervisor.class.getMethod("readState", String.class, String.class, Set.class);
        Set<String> a = new LinkedHashSet<>(List.of("b", "a"));
        Set<String> b = new LinkedHashSet<>(List.of("a", "b"));
        assertEquals(ReadCache.key(readState, new Object[] {VM, "ns", a}),
                ReadCache.key(readState, new Object[] {"other", "ns", b}), "set order does not matter");
        assertEquals("readState|ns|[a, b]", ReadCache.key(readState, new Object[] {VM, "ns", a}));
    }
}
