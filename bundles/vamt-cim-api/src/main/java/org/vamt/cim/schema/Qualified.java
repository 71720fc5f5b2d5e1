package org.vamt.cim.schema;

import java.util.List;
import java.util.Optional;

/** Something that carries qualifiers; names compare case-insensitively, as in CIM. */
public interface Qualified {
    List<CimQualifier> qualifiers();

    // Plain loops, no streams or Optionals on the way: every value the CIMOM types asks these (Key, OctetString,
    // EmbeddedInstance) several times per request.
    default Optional<CimQualifier> qualifier(String name) {
        CimQualifier q = find(name);
        return q == null ? Optional.empty() : Optional.of(q);
    }

    /** Whether a boolean qualifier is present and true. */
    default boolean is(String name) {
        CimQualifier q = find(name);
        return q != null && q.isTrue();
    }

    /** A string qualifier's value (e.g. EmbeddedInstance), if present. */
    default Optional<String> text(String name) {
        CimQualifier q = find(name);
        return q != null && q.value() instanceof String s ? Optional.of(s) : Optional.empty();
    }

    private CimQualifier find(String name) {
        for (CimQualifier q : qualifiers()) {
            if (q.name().equalsIgnoreCase(name)) {
                return q;
            }
        }
        return null;
    }
}
