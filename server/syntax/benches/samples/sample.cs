// Sample for the parse benchmark; _N_ is replaced by a counter when repeated.
using System;
using System.Collections.Generic;
// BENCH-REPEAT

namespace Settings_N_
{
    /// <summary>A cache of parsed settings, keyed by name.</summary>
    public sealed class SettingsCache
    {
        private readonly Dictionary<string, string> entries = new();
        public int Hits { get; private set; }
        public int Misses { get; private set; }

        public int Load(string text)
        {
            var loaded = 0;
            var lines = text.Split('\n');
            for (var number = 0; number < lines.Length; number++)
            {
                var line = lines[number].Trim();
                if (line.Length == 0 || line.StartsWith("#")) continue;
                var at = line.IndexOf('=');
                if (at < 0) throw new FormatException($"line {number + 1}: expected 'key = value'");
                entries[line[..at].Trim()] = line[(at + 1)..].Trim();
                loaded++;
            }
            return loaded;
        }

        public bool TryGet(string key, out string value)
        {
            var found = entries.TryGetValue(key, out value);
            if (found) Hits++; else Misses++;
            return found;
        }
    }
}
