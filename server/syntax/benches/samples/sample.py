"""Sample module for the parse benchmark; _N_ is replaced by a counter when repeated."""
# BENCH-REPEAT
import dataclasses
from typing import Dict, Iterable, Optional


@dataclasses.dataclass
class Setting_N_:
    """One parsed setting with its source line."""

    key: str
    value: object
    line: int = 0

    def describe(self) -> str:
        return f"{self.key} = {self.value!r} (line {self.line})"


class SettingsCache_N_:
    """A cache of parsed settings, keyed by name."""

    def __init__(self) -> None:
        self.entries: Dict[str, Setting_N_] = {}
        self.hits = 0
        self.misses = 0

    def load(self, lines: Iterable[str]) -> int:
        loaded = 0
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if "=" not in line:
                raise ValueError(f"line {number}: expected 'key = value', got {line!r}")
            key, _, value = line.partition("=")
            self.entries[key.strip()] = Setting_N_(key.strip(), self._convert(value.strip()), number)
            loaded += 1
        return loaded

    @staticmethod
    def _convert(value: str) -> object:
        if value in ("true", "false"):
            return value == "true"
        try:
            return int(value)
        except ValueError:
            return value.strip('"')

    def get(self, key: str) -> Optional[Setting_N_]:
        setting = self.entries.get(key)
        if setting is None:
            self.misses += 1
        else:
            self.hits += 1
        return setting

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def summarize_N_(cache: SettingsCache_N_) -> str:
    # Sorted so the output is stable: 日本 keys sort after ASCII ones.
    parts = [cache.entries[key].describe() for key in sorted(cache.entries)]
    return "\n".join(parts) + f"\nhit rate: {cache.hit_rate:.2%}"
