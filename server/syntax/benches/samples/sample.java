// Sample for the parse benchmark; _N_ is replaced by a counter when repeated.
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
// BENCH-REPEAT

/** A cache of parsed settings, keyed by name. */
final class SettingsCache_N_ {
    private final Map<String, String> entries = new HashMap<>();
    private int hits;
    private int misses;

    int load(String text) {
        int loaded = 0;
        String[] lines = text.split("\n");
        for (int number = 0; number < lines.length; number++) {
            String line = lines[number].trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int at = line.indexOf('=');
            if (at < 0) {
                throw new IllegalArgumentException("line " + (number + 1) + ": expected 'key = value'");
            }
            entries.put(line.substring(0, at).trim(), line.substring(at + 1).trim());
            loaded++;
        }
        return loaded;
    }

    Optional<String> get(String key) {
        String value = entries.get(key);
        if (value == null) {
            misses++;
            return Optional.empty();
        }
        hits++;
        return Optional.of(value);
    }

    double hitRate() {
        int total = hits + misses;
        return total == 0 ? 0.0 : (double) hits / total;
    }
}
