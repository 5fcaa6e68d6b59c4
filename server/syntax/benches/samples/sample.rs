//! Sample module for the parse benchmark; `_N_` is replaced by a counter when repeated.
// BENCH-REPEAT
use std::collections::HashMap;

/// A cache of parsed settings, keyed by name.
#[derive(Debug, Clone, Default)]
pub struct SettingsCache_N_ {
    entries: HashMap<String, Setting_N_>,
    hits: u64,
    misses: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Setting_N_ {
    Flag(bool),
    Number(i64),
    Text(String),
}

impl SettingsCache_N_ {
    /// Creates an empty cache.
    pub fn new() -> Self {
        Self { entries: HashMap::new(), hits: 0, misses: 0 }
    }

    /// Parses `key = value` lines, skipping comments and blank lines.
    pub fn load(&mut self, text: &str) -> Result<usize, String> {
        let mut loaded = 0;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(format!("line {}: expected `key = value`, got {line:?}", number + 1));
            };
            let setting = match value.trim() {
                "true" => Setting_N_::Flag(true),
                "false" => Setting_N_::Flag(false),
                other => match other.parse::<i64>() {
                    Ok(value) => Setting_N_::Number(value),
                    Err(_) => Setting_N_::Text(other.trim_matches('"').to_owned()),
                },
            };
            self.entries.insert(key.trim().to_owned(), setting);
            loaded += 1;
        }
        Ok(loaded)
    }

    pub fn get(&mut self, key: &str) -> Option<&Setting_N_> {
        match self.entries.get(key) {
            Some(setting) => {
                self.hits += 1;
                Some(setting)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// The fraction of lookups that hit, or 0.0 before the first lookup.
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 { 0.0 } else { self.hits as f64 / total as f64 }
    }
}

#[cfg(test)]
mod tests_N_ {
    use super::*;

    #[test]
    fn loads_numbers_and_text() {
        let mut cache = SettingsCache_N_::new();
        let loaded = cache.load("# comment\nwidth = 80\nname = \"日本\"\n").unwrap();
        assert_eq!(loaded, 2);
        assert_eq!(cache.get("width"), Some(&Setting_N_::Number(80)));
    }
}
