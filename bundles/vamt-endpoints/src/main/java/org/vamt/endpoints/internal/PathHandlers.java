package org.vamt.endpoints.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.endpoints.EndpointPathHandler;

/**
 * The paths served on every endpoint (whiteboard of {@link EndpointPathHandler} services):
 * {@code /wsman} and the others. A path has one handler; a second service claiming it waits
 * until the first leaves.
 */
final class PathHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(PathHandlers.class);

    private final Map<String, EndpointPathHandler> byPath = new ConcurrentHashMap<>();

    Optional<EndpointPathHandler> forPath(String path) {
        return path == null ? Optional.empty() : Optional.ofNullable(byPath.get(path));
    }

    /** Takes the paths of {@code handler} that are valid and free. */
    synchronized void add(EndpointPathHandler handler, Map<String, ?> properties) {
        for (String path : paths(properties.get(EndpointPathHandler.PATH))) {
            if (!path.startsWith("/") || path.contains("?")) {
                LOG.error("Endpoint path handler {}: path '{}' refused (must start with / and hold no query)", handler,
                        path);
            } else if (byPath.putIfAbsent(path, handler) == null) {
                LOG.info("Endpoint path {} served by {}", path, handler.getClass().getName());
            } else if (byPath.get(path) != handler) {
                LOG.error("Endpoint path {} is already served by {}; {} ignored for it", path,
                        byPath.get(path).getClass().getName(), handler.getClass().getName());
            }
        }
    }

    synchronized void remove(EndpointPathHandler handler) {
        byPath.values().removeIf(h -> h == handler);
    }

    private static List<String> paths(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof String s) {
            out.add(s.trim());
        } else if (value instanceof String[] a) {
            for (String s : a) {
                out.add(s.trim());
            }
        } else if (value instanceof Collection<?> c) {
            for (Object o : c) {
                out.add(String.valueOf(o).trim());
            }
        }
        return out;
    }
}
