package org.vamt.cim.schema;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/** A qualifier declaration ({@code Qualifier Key : boolean = false, Scope(property, reference), …}). */
public record CimQualifierType(String name, CimDataType type, boolean array, Object defaultValue,
                               List<String> scopes, List<String> flavors) implements Serializable {
    public CimQualifierType {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        scopes = List.copyOf(scopes);
        flavors = List.copyOf(flavors);
    }
}
