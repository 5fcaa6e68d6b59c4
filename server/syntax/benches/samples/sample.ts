// Sample module for the parse benchmark; _N_ is replaced by a counter when repeated.
// BENCH-REPEAT

/** One parsed setting with its source line. */
export interface Setting_N_ {
  key: string;
  value: boolean | number | string;
  line: number;
}

type Listener_N_ = (setting: Setting_N_) => void;

/** A cache of parsed settings, keyed by name. */
export class SettingsCache_N_ {
  private readonly entries = new Map<string, Setting_N_>();
  private listeners: Listener_N_[] = [];
  private hits = 0;
  private misses = 0;

  constructor(private readonly name: string = "default") {}

  /** Parses `key = value` lines, skipping comments and blank lines. */
  load(text: string): number {
    let loaded = 0;
    text.split("\n").forEach((raw, index) => {
      const line = raw.trim();
      if (line.length === 0 || line.startsWith("#")) {
        return;
      }
      const at = line.indexOf("=");
      if (at < 0) {
        throw new Error(`line ${index + 1}: expected 'key = value', got ${JSON.stringify(line)}`);
      }
      const setting: Setting_N_ = {
        key: line.slice(0, at).trim(),
        value: SettingsCache_N_.convert(line.slice(at + 1).trim()),
        line: index + 1,
      };
      this.entries.set(setting.key, setting);
      this.listeners.forEach((listener) => listener(setting));
      loaded += 1;
    });
    return loaded;
  }

  private static convert(value: string): boolean | number | string {
    if (value === "true" || value === "false") {
      return value === "true";
    }
    const parsed = Number.parseInt(value, 10);
    return Number.isNaN(parsed) ? value.replace(/^"|"$/g, "") : parsed;
  }

  get(key: string): Setting_N_ | undefined {
    const setting = this.entries.get(key);
    setting === undefined ? this.misses++ : this.hits++;
    return setting;
  }

  onChange(listener: Listener_N_): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((other) => other !== listener);
    };
  }

  get hitRate(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : this.hits / total;
  }
}

export async function loadAll_N_<T extends { text(): Promise<string> }>(sources: T[]): Promise<number> {
  const cache = new SettingsCache_N_("日本");
  const texts = await Promise.all(sources.map((source) => source.text()));
  return texts.reduce((sum, text) => sum + cache.load(text), 0);
}
