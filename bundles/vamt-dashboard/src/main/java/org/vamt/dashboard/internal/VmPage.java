package org.vamt.dashboard.internal;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.vamt.hypervisor.MachineInfo;

/**
 * One page of the VM table: the VMs whose name (or UUID) holds the search text, by name, a page at a
 * time, so that a host with ten thousand VMs still gets a page a browser shows at once.
 *
 * @param shown    the VMs of this page
 * @param offset   how many matching VMs come before this page
 * @param matching how many VMs match the search, on all pages
 * @param running  how many of those are on
 * @param page     this page's number (1 for the first; a number past the last shows the last)
 * @param pages    how many pages there are (at least 1)
 * @param query    the search text as used (trimmed, bounded), empty for all
 */
record VmPage(List<MachineInfo> shown, int offset, int matching, int running, int page, int pages, String query) {
    /** Longest search text used; more is cut off (a name is never that long). */
    static final int MAX_QUERY = 64;

    static VmPage of(List<MachineInfo> all, String query, String page, int perPage) {
        String q = query == null ? "" : query.strip();
        q = q.length() > MAX_QUERY ? q.substring(0, MAX_QUERY) : q;
        String needle = q.toLowerCase(Locale.ROOT);
        List<MachineInfo> matching = all.stream()
                .filter(m -> needle.isEmpty() || m.name().toLowerCase(Locale.ROOT).contains(needle)
                        || m.uuid().toLowerCase(Locale.ROOT).startsWith(needle))
                .sorted(Comparator.comparing(MachineInfo::name).thenComparing(MachineInfo::uuid))
                .toList();
        int running = (int) matching.stream().filter(m -> m.state().isOn()).count();
        int pages = Math.max(1, (matching.size() + perPage - 1) / perPage);
        int number = Math.min(pages, Math.max(1, parse(page)));
        int from = (number - 1) * perPage;
        return new VmPage(matching.subList(from, Math.min(matching.size(), from + perPage)), from, matching.size(), running,
                number, pages, q);
    }

    /** A page number as typed; anything else is the first page. */
    private static int parse(String page) {
        try {
            return page == null ? 1 : Integer.parseInt(page.strip());
        } catch (NumberFormatException e) {
            return 1;
        }
    }
}
