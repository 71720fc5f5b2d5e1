package org.vamt.cim.schema;

import java.util.List;
import java.util.Optional;

/** Something that carries qualifiers; names compare case-insensitively, as in CIM. */
public interface Qualified {
    List<CimQualifier> qualifiers();

    default Optional<CimQualifier> qualifier(String name) {
        return qualifiers().stream().filter(q -> q.name().equalsIgnoreCase(name)).findFirst();
    }

    /** Whether a boolean qualifier is present and true. */
    default boolean is(String name) {
        return qualifier(name).map(CimQualifier::isTrue).orElse(false);
    }

    /** A string qualifier's value (e.g. EmbeddedInstance), if present. */
    default Optional<String> text(String name) {
        return qualifier(name).map(CimQualifier::value).filter(String.class::isInstance).map(String.class::cast);
    }
}
