package org.vamt.provider.defense.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.vamt.cim.CimDateTime;
import org.vamt.provider.defense.internal.DefenseState.Link;

/** The stored form and the isolation decision, without a hypervisor. */
class DefenseStateTest {

    private static Map<String, Object> policy(long precedence, boolean tx, boolean rx, Long... filters) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("PolicyName", "p" + precedence);
        p.put("PolicyPrecedence", precedence);
        p.put("TxDefaultDrop", tx);
        p.put("RxDefaultDrop", rx);
        p.put("FilterCreationHandles", List.of(filters));
        return p;
    }

    private static Map<String, Object> filter(long profile) {
        return Map.of("Name", "f", "FilterProfile", profile, "FilterDirection", 1L, "ActionEventOnMatch", false);
    }

    @Test
    void everyValueTypeRoundTripsAndTheTextIsStable() {
        DefenseState s = new DefenseState();
        Map<String, Object> odd = new LinkedHashMap<>();
        odd.put("PolicyName", "a=b: c#d!\\e, f\nnext line é");
        odd.put("PolicyPrecedence", 4294967295L);
        odd.put("TxDefaultDrop", true);
        odd.put("FilterCreationHandles", List.of());
        odd.put("HdrDSCP", List.of(1L, 2L, 63L));
        odd.put("StatusDescriptions", List.of("x,y", "", "%20 z"));
        odd.put("InstallDate", new CimDateTime("2026-01-02T03:04:05Z", false));
        odd.put("Interval", new CimDateTime("P1D", true));
        odd.put("HdrSrcMACAddr8021", "UlQAoAAD");
        long h = s.add(DefenseState.POLICY, odd);
        s.addLink(new Link(1, h, false));
        s.setSavedLinks(Map.of("525400a00003", true));

        String text = s.format();
        assertTrue(text.lines().noneMatch(l -> l.startsWith("#")), "no date comment: " + text);
        assertTrue(text.contains("c\\#d"), "'#' in values is escaped: " + text);
        assertEquals(text, s.copy().format(), "deterministic");
        DefenseState back = DefenseState.parse(text);
        assertEquals(text, back.format());
        assertEquals(new HashMap<>(odd), new HashMap<>(back.object(h).orElseThrow().properties()));
        assertEquals(List.of(new Link(1, h, false)), back.links());
        assertEquals(Map.of("525400a00003", true), back.savedLinks());
        assertEquals(h + 1, back.add(DefenseState.POLICY, Map.of()), "handles are not reused");
    }

    @Test
    void emptyStateIsNotStoredAndAbsentTextIsEmpty() {
        assertNull(new DefenseState().format());
        assertTrue(DefenseState.parse(null).links().isEmpty());
        DefenseState isolatedWithoutNics = new DefenseState();
        isolatedWithoutNics.setSavedLinks(Map.of());
        assertEquals(Map.of(), DefenseState.parse(isolatedWithoutNics.format()).savedLinks());
        assertThrows(IllegalArgumentException.class, () -> DefenseState.parse("obj.1=AMT_SystemDefensePolicy\n"
                + "obj.1.PolicyName=untagged\n"));
    }

    @Test
    void handlesAreTheTrailingNumberOfOurInstanceIds() {
        assertEquals("Intel(r) AMT:Handle:7", DefenseState.instanceId(7));
        assertEquals(OptionalLong.of(7), DefenseState.handleOf("Intel(r) AMT:Handle:7"));
        assertEquals(OptionalLong.empty(), DefenseState.handleOf("0"));
        assertEquals(OptionalLong.empty(), DefenseState.handleOf("Intel(r) AMT:Handle:x"));
        assertEquals(OptionalLong.empty(), DefenseState.handleOf(null));
    }

    @Test
    void onlyDropAllWithoutPassingFiltersIsolates() {
        DefenseState s = new DefenseState();
        long drop = s.add(DefenseState.IP_FILTER, filter(4));
        long dropStats = s.add(DefenseState.HDR8021_FILTER, filter(1));
        long pass = s.add(DefenseState.IP_FILTER, filter(3));
        long rateLimit = s.add(DefenseState.IP_FILTER, filter(2));
        assertTrue(s.isolates(s.add(DefenseState.POLICY, policy(0, true, true))));
        assertTrue(s.isolates(s.add(DefenseState.POLICY, policy(0, true, true, drop, dropStats))));
        assertFalse(s.isolates(s.add(DefenseState.POLICY, policy(0, true, true, drop, pass))));
        assertFalse(s.isolates(s.add(DefenseState.POLICY, policy(0, true, true, rateLimit))));
        assertFalse(s.isolates(s.add(DefenseState.POLICY, policy(0, true, false))));
        assertFalse(s.isolates(s.add(DefenseState.POLICY, policy(0, false, true))));
        assertEquals(1, s.policiesUsing(pass).size());
        assertEquals(2, s.policiesUsing(drop).size());
    }

    @Test
    void theEnabledPolicyWithTheHighestPrecedenceIsActive() {
        DefenseState s = new DefenseState();
        long low = s.add(DefenseState.POLICY, policy(10, true, true));
        long high = s.add(DefenseState.POLICY, policy(20, false, false));
        long tie = s.add(DefenseState.POLICY, policy(20, true, true));
        long disabled = s.add(DefenseState.POLICY, policy(99, true, true));
        s.addLink(new Link(0, low, true));
        assertEquals(OptionalLong.of(low), s.activePolicy(0));
        assertEquals(List.of(0), s.isolatingPorts());
        s.addLink(new Link(0, disabled, false));
        assertEquals(OptionalLong.of(low), s.activePolicy(0), "a disabled link does not count");
        s.addLink(new Link(0, tie, true));
        s.addLink(new Link(0, high, true));
        assertEquals(OptionalLong.of(high), s.activePolicy(0), "the earlier of two equal precedences");
        assertEquals(List.of(), s.isolatingPorts());
        assertEquals(OptionalLong.empty(), s.activePolicy(1));
        assertTrue(s.isLinked(low));
        assertTrue(s.removeLink(0, high));
        assertEquals(OptionalLong.of(tie), s.activePolicy(0));
        assertEquals(List.of(0), s.isolatingPorts());
    }
}
