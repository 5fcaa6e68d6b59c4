//! The configuration loader (`infill::config`): arbitrary TOML text (the config file) and
//! arbitrary JSON (the editor's `initializationOptions`). A clear error or a configuration,
//! never a panic; a configuration that loads converts into every library's settings, survives
//! a round trip through TOML and through `initializationOptions` unchanged, and a rejected
//! `initializationOptions` leaves the configuration as it was.
//!
//! Input: the first byte picks TOML (even) or JSON (odd); the rest is the text.

#![no_main]

use infill::config::Config;
use infill_ide::completion::CompletionSettings;
use infill_ide::workspace::ContextSettings;
use infill_syntax::DocumentLimits;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn as_json(config: &Config) -> Value {
    serde_json::to_value(config).expect("a configuration serializes")
}

fn check_loaded(config: &Config) {
    let _ = CompletionSettings::from(&config.completion);
    let _ = ContextSettings::from(&config.context);
    let _ = DocumentLimits::from(&config.documents);
    let _ = config.engine.family();

    let text = toml::to_string(config).expect("a loaded configuration writes back as TOML");
    let again: Config = toml::from_str(&text).expect("the written TOML reads back");
    assert_eq!(as_json(&again), as_json(config), "TOML round trip:\n{text}");

    let mut merged = Config::default();
    merged.merge_json(&as_json(config)).expect("a valid configuration is valid options");
    assert_eq!(as_json(&merged), as_json(config), "initializationOptions round trip");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    if mode % 2 == 0 {
        let Ok(config) = toml::from_str::<Config>(text) else { return };
        if config.validate().is_ok() {
            check_loaded(&config);
        }
    } else {
        let Ok(options) = serde_json::from_str::<Value>(text) else { return };
        let mut config = Config::default();
        let before = as_json(&config);
        match config.merge_json(&options) {
            Ok(()) => {
                config.validate().expect("merged options were validated");
                check_loaded(&config);
                let once = as_json(&config);
                config.merge_json(&options).expect("the same options apply twice");
                assert_eq!(as_json(&config), once, "applying options twice changes nothing more");
            }
            Err(error) => {
                assert!(!format!("{error:#}").is_empty());
                assert_eq!(as_json(&config), before, "rejected options leave the config as it was");
            }
        }
    }
});
