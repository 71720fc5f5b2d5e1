package org.vamt.remote.internal.link;

import java.nio.file.Path;

/** A test site CA that writes peers' link material in the contract's files (for tests outside this package). */
public final class TestLinkCa {
    private final LinkTlsTest.TestCa ca;

    public TestLinkCa(String name) throws Exception {
        ca = new LinkTlsTest.TestCa(name);
    }

    /** Writes {@code id}'s identity in {@code role} and this CA into {@code etc} and loads it as the product does. */
    public LinkTls issue(Path etc, String id, PeerRole role) throws Exception {
        ca.issueInto(etc, id, role);
        return LinkTls.load(etc);
    }
}
