// Sample component for the parse benchmark; _N_ is replaced by a counter when repeated.
// BENCH-REPEAT
interface SettingsProps_N_ {
  title: string;
  entries: Array<{ key: string; value: string }>;
  onSelect?: (key: string) => void;
}

export function SettingsList_N_({ title, entries, onSelect }: SettingsProps_N_): JSX.Element {
  const sorted = [...entries].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <section className="settings">
      <h2>{title} ({sorted.length})</h2>
      <ul>
        {sorted.map(({ key, value }) => (
          <li key={key} onClick={() => onSelect?.(key)}>
            <code>{key}</code> = <span>{value || "日本"}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
