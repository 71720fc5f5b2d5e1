package org.vamt.cim.schema;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/** A method parameter; {@code In} defaults to true and {@code Out} to false, as in DSP0004. */
public record CimParameterDef(String name, CimDataType type, String referenceClass, boolean array,
                              List<CimQualifier> qualifiers) implements Qualified, Serializable {
    public CimParameterDef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        qualifiers = List.copyOf(qualifiers);
    }

    public boolean isIn() {
        return qualifier("In").map(CimQualifier::isTrue).orElse(true);
    }

    public boolean isOut() {
        return is("Out");
    }
}
