package org.vamt.cim.schema;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * A property of a class as declared in MOF.
 *
 * @param referenceClass for references, the class referred to; otherwise null
 * @param array          whether the property is an array
 * @param defaultValue   the MOF default value, or null
 */
public record CimPropertyDef(String name, CimDataType type, String referenceClass, boolean array,
                             Object defaultValue, List<CimQualifier> qualifiers)
        implements Qualified, Serializable {
    public CimPropertyDef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        qualifiers = List.copyOf(qualifiers);
    }

    public boolean isKey() {
        return is("Key");
    }

    public boolean isWritable() {
        return is("Write");
    }
}
