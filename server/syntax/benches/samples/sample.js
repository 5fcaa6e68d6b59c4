// Sample module for the parse benchmark; _N_ is replaced by a counter when repeated.
// BENCH-REPEAT
/** A cache of parsed settings, keyed by name. */
export class SettingsCache_N_ {
  #entries = new Map();
  hits = 0;
  misses = 0;

  load(text) {
    let loaded = 0;
    for (const [index, raw] of text.split("\n").entries()) {
      const line = raw.trim();
      if (!line || line.startsWith("#")) continue;
      const [key, ...rest] = line.split("=");
      if (rest.length === 0) {
        throw new Error(`line ${index + 1}: expected 'key = value'`);
      }
      this.#entries.set(key.trim(), { value: rest.join("=").trim(), line: index + 1 });
      loaded += 1;
    }
    return loaded;
  }

  get(key) {
    const setting = this.#entries.get(key);
    setting === undefined ? this.misses++ : this.hits++;
    return setting;
  }
}

export const render_N_ = (cache) => <ul className="settings">{cache.hits} hits, "日本"</ul>;
