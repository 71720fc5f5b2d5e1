package org.vamt.cim.schema;

import java.io.Serializable;
import java.util.Objects;

/**
 * A qualifier applied to an element. The value is a Boolean, String, Long, Double, a
 * {@code List} of those (arrays such as ValueMap), or null when MOF gave none.
 */
public record CimQualifier(String name, Object value) implements Serializable {
    public CimQualifier {
        Objects.requireNonNull(name, "name");
    }

    /** True for a boolean qualifier written without a value (e.g. {@code [Key]}) or with TRUE. */
    public boolean isTrue() {
        return value == null || Boolean.TRUE.equals(value);
    }
}
