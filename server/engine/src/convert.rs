//! `infill model convert`: requantize a GGUF file to a type candle has fast CPU kernels for.
//!
//! candle's SIMD paths cover Q4_0, Q8_0 and the K-quants, not Q4_1 (the format the tiny default
//! model ships in), so the fetch step converts it. Uses candle's own GGUF reader and writer.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};

/// Target types offered by `infill model convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    /// 8-bit blocks of 32 (the default model's conversion target).
    Q8_0,
    /// 4-bit blocks of 32.
    Q4_0,
    /// 4-bit K-quant.
    Q4K,
    /// 6-bit K-quant.
    Q6K,
    /// Half precision, unquantized.
    F16,
}

impl TargetType {
    /// Parses a type name as `infill model convert --type` takes it (`q8_0`, `q4_k`...).
    pub fn from_name(name: &str) -> Option<TargetType> {
        match name.to_ascii_lowercase().as_str() {
            "q8_0" | "q8" => Some(TargetType::Q8_0),
            "q4_0" => Some(TargetType::Q4_0),
            "q4_k" | "q4k" => Some(TargetType::Q4K),
            "q6_k" | "q6k" => Some(TargetType::Q6K),
            "f16" => Some(TargetType::F16),
            _ => None,
        }
    }

    fn dtype(self) -> GgmlDType {
        match self {
            TargetType::Q8_0 => GgmlDType::Q8_0,
            TargetType::Q4_0 => GgmlDType::Q4_0,
            TargetType::Q4K => GgmlDType::Q4K,
            TargetType::Q6K => GgmlDType::Q6K,
            TargetType::F16 => GgmlDType::F16,
        }
    }

    /// llama.cpp's `general.file_type` for a file mostly of this type.
    fn file_type(self) -> u32 {
        match self {
            TargetType::Q8_0 => 7,
            TargetType::Q4_0 => 2,
            TargetType::Q4K => 15,
            TargetType::Q6K => 18,
            TargetType::F16 => 1,
        }
    }
}

/// What a conversion did.
#[derive(Debug, Clone)]
pub struct ConversionReport {
    /// Tensors requantized to the target type.
    pub converted: usize,
    /// Tensors copied as they were (1-D, already of the target type, or not block-aligned).
    pub kept: usize,
}

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The input file cannot be opened.
    #[error("cannot open {}", path.display())]
    Open {
        /// The input file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The input is not a GGUF file candle can read.
    #[error("{} is not a readable GGUF file", path.display())]
    NotGguf {
        /// The input file.
        path: PathBuf,
        /// candle's error.
        source: Box<candle_core::Error>,
    },
    /// No temporary file can be created next to the output.
    #[error("cannot write in {}", directory.display())]
    CreateTemporary {
        /// The output's directory.
        directory: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The finished conversion cannot be moved to the output path.
    #[error("cannot move the converted model to {}", path.display())]
    Persist {
        /// The output file.
        path: PathBuf,
        /// The underlying error.
        source: tempfile::PersistError,
    },
    /// Reading, requantizing or writing a tensor failed.
    #[error(transparent)]
    Candle(Box<candle_core::Error>),
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<candle_core::Error> for ConvertError {
    fn from(error: candle_core::Error) -> Self {
        ConvertError::Candle(Box::new(error))
    }
}

/// Requantizes every 2-D weight of `input` to `target` and writes `output`.
pub fn convert(
    input: &Path,
    output: &Path,
    target: TargetType,
) -> Result<ConversionReport, ConvertError> {
    let mut reader = BufReader::new(
        File::open(input)
            .map_err(|source| ConvertError::Open { path: input.to_path_buf(), source })?,
    );
    let content = gguf_file::Content::read(&mut reader).map_err(|source| {
        ConvertError::NotGguf { path: input.to_path_buf(), source: Box::new(source) }
    })?;
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort_by_key(|name| content.tensor_infos[*name].offset);

    let device = Device::Cpu;
    let dtype = target.dtype();
    let mut tensors = Vec::with_capacity(names.len());
    let mut report = ConversionReport { converted: 0, kept: 0 };
    for name in names {
        let tensor = content.tensor(&mut reader, name, &device)?;
        let dims = tensor.shape().dims().to_vec();
        let convertible = dims.len() >= 2
            && dims.last().is_some_and(|d| d % dtype.block_size() == 0)
            && tensor.dtype() != dtype;
        if convertible {
            let values: Tensor = tensor.dequantize(&device)?;
            tensors.push((name.clone(), QTensor::quantize(&values, dtype)?));
            report.converted += 1;
        } else {
            tensors.push((name.clone(), tensor));
            report.kept += 1;
        }
    }
    let mut metadata: Vec<(&str, gguf_file::Value)> =
        content.metadata.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    metadata.retain(|(k, _)| *k != "general.file_type");
    metadata.push(("general.file_type", gguf_file::Value::U32(target.file_type())));
    metadata.sort_by(|a, b| a.0.cmp(b.0));
    let metadata_refs: Vec<(&str, &gguf_file::Value)> =
        metadata.iter().map(|(k, v)| (*k, v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();

    // Write next to the target and rename at the end: an interrupted run leaves no half model.
    let directory = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let partial = tempfile::NamedTempFile::new_in(directory).map_err(|source| {
        ConvertError::CreateTemporary { directory: directory.to_path_buf(), source }
    })?;
    {
        let mut writer = BufWriter::new(partial.as_file());
        gguf_file::write(&mut writer, &metadata_refs, &tensor_refs)?;
        std::io::Write::flush(&mut writer)?;
    }
    let file = partial
        .persist(output)
        .map_err(|source| ConvertError::Persist { path: output.to_path_buf(), source })?;
    // A temporary file is private (0600); a model is ordinary data.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut permissions = file.metadata()?.permissions();
    #[cfg(unix)]
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o644);
    file.set_permissions(permissions)?;
    Ok(report)
}
