//! A small reader for GGUF headers: metadata and tensor descriptions, without loading weights.
//!
//! It exists so that a missing, truncated or foreign model file is reported clearly before the
//! backend tries to load it, and so the family detector and the memory planner can read a
//! model's shape in milliseconds.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

/// Why a file could not be read as a GGUF model.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// The file cannot be opened or read.
    #[error("cannot read model file {path}: {source}")]
    Io {
        /// The model file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file does not start with the GGUF magic.
    #[error("{path} is not a GGUF model file (its first bytes are not `GGUF`)")]
    NotGguf {
        /// The model file.
        path: PathBuf,
    },
    /// The file is shorter than its header says (an interrupted download).
    #[error("{path} is truncated: the header describes {expected} bytes but the file has {actual}")]
    Truncated {
        /// The model file.
        path: PathBuf,
        /// The size the header implies.
        expected: u64,
        /// The file's size.
        actual: u64,
    },
    /// The header cannot be parsed.
    #[error("{path} has a malformed GGUF header: {reason}")]
    Malformed {
        /// The model file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// A metadata value. Large numeric arrays keep only their length.
#[derive(Debug, Clone, PartialEq)]
pub enum MetadataValue {
    /// A signed integer of any width.
    Int(i64),
    /// An unsigned integer of any width.
    Uint(u64),
    /// A float of any width.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    String(String),
    /// An array of strings that we keep (such as the tokenizer's vocabulary).
    Strings(Vec<String>),
    /// An array whose elements are not kept (numbers, or strings we do not need).
    Array {
        /// The number of elements.
        len: u64,
    },
}

/// One tensor's description.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// The tensor's name (`blk.0.attn_q.weight`...).
    pub name: String,
    /// Its dimensions, innermost first as GGUF stores them.
    pub dims: Vec<u64>,
    /// The ggml type id of its data (see [`ggml_type_name`]).
    pub ggml_type: u32,
    /// Where its data starts, relative to [`GgufInfo::data_offset`].
    pub offset: u64,
}

impl TensorInfo {
    /// The number of elements (the product of the dimensions; `u64::MAX` when that overflows,
    /// as only a corrupt header can make it).
    pub fn elements(&self) -> u64 {
        self.dims
            .iter()
            .try_fold(1u64, |product, &dim| product.checked_mul(dim))
            .unwrap_or(u64::MAX)
    }

    /// Bytes of this tensor's data, when its type is known (saturating, like [`Self::elements`]).
    pub fn bytes(&self) -> Option<u64> {
        let (block_bytes, block_elements) = ggml_type_layout(self.ggml_type)?;
        Some(self.elements().div_ceil(block_elements).saturating_mul(block_bytes))
    }
}

/// A GGUF file's header.
#[derive(Debug, Clone)]
pub struct GgufInfo {
    /// The file it was read from.
    pub path: PathBuf,
    /// The GGUF format version.
    pub version: u32,
    /// The metadata key-value pairs.
    pub metadata: BTreeMap<String, MetadataValue>,
    /// The tensors' descriptions, in file order.
    pub tensors: Vec<TensorInfo>,
    /// Where the tensor data starts in the file.
    pub data_offset: u64,
    /// The file's size in bytes.
    pub file_size: u64,
}

/// `(bytes per block, elements per block)` of a ggml tensor type.
pub fn ggml_type_layout(ggml_type: u32) -> Option<(u64, u64)> {
    Some(match ggml_type {
        0 => (4, 1),     // F32
        1 => (2, 1),     // F16
        2 => (18, 32),   // Q4_0
        3 => (20, 32),   // Q4_1
        6 => (22, 32),   // Q5_0
        7 => (24, 32),   // Q5_1
        8 => (34, 32),   // Q8_0
        9 => (36, 32),   // Q8_1
        10 => (84, 256), // Q2_K
        11 => (110, 256),
        12 => (144, 256),
        13 => (176, 256),
        14 => (210, 256),
        15 => (292, 256),
        24 => (1, 1),
        25 => (2, 1),
        26 => (4, 1),
        27 => (8, 1),
        28 => (8, 1),
        30 => (2, 1), // BF16
        _ => return None,
    })
}

/// The name of a ggml tensor type.
pub fn ggml_type_name(ggml_type: u32) -> &'static str {
    match ggml_type {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        30 => "BF16",
        _ => "other",
    }
}

/// Metadata string arrays worth keeping in memory.
const KEPT_STRING_ARRAYS: &[&str] = &["tokenizer.ggml.tokens"];
/// More tensors or keys than this is not a model we can describe.
const SANITY_LIMIT: u64 = 1 << 24;
/// Room reserved up front for a declared number of items; more grows as items are really read,
/// so a huge declared count in a small file allocates nothing for it.
const RESERVE_LIMIT: u64 = 1 << 12;

struct Reader<'a> {
    inner: BufReader<File>,
    path: &'a Path,
}

impl Reader<'_> {
    fn io(&self, source: std::io::Error) -> GgufError {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            GgufError::Malformed {
                path: self.path.to_path_buf(),
                reason: "the header ends early (truncated file?)".into(),
            }
        } else {
            GgufError::Io { path: self.path.to_path_buf(), source }
        }
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], GgufError> {
        let mut buf = [0; N];
        self.inner.read_exact(&mut buf).map_err(|e| self.io(e))?;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn malformed(&self, reason: impl Into<String>) -> GgufError {
        GgufError::Malformed { path: self.path.to_path_buf(), reason: reason.into() }
    }

    fn string(&mut self) -> Result<String, GgufError> {
        let len = self.u64()?;
        if len > 1 << 26 {
            return Err(self.malformed(format!("a string of {len} bytes")));
        }
        // Read what is there rather than allocate what the header claims.
        let mut buf = Vec::new();
        let read = (&mut self.inner).take(len).read_to_end(&mut buf);
        read.map_err(|e| self.io(e))?;
        if (buf.len() as u64) < len {
            return Err(self.io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    fn skip(&mut self, bytes: u64) -> Result<(), GgufError> {
        let bytes = i64::try_from(bytes)
            .map_err(|_| self.malformed(format!("a value of {bytes} bytes")))?;
        self.inner.seek_relative(bytes).map_err(|e| self.io(e))
    }

    fn scalar(&mut self, value_type: u32) -> Result<MetadataValue, GgufError> {
        Ok(match value_type {
            0 => MetadataValue::Uint(u8::from_le_bytes(self.bytes()?) as u64),
            1 => MetadataValue::Int(i8::from_le_bytes(self.bytes()?) as i64),
            2 => MetadataValue::Uint(u16::from_le_bytes(self.bytes()?) as u64),
            3 => MetadataValue::Int(i16::from_le_bytes(self.bytes()?) as i64),
            4 => MetadataValue::Uint(self.u32()? as u64),
            5 => MetadataValue::Int(i32::from_le_bytes(self.bytes()?) as i64),
            6 => MetadataValue::Float(f32::from_le_bytes(self.bytes()?) as f64),
            7 => MetadataValue::Bool(self.bytes::<1>()?[0] != 0),
            8 => MetadataValue::String(self.string()?),
            10 => MetadataValue::Uint(self.u64()?),
            11 => MetadataValue::Int(i64::from_le_bytes(self.bytes()?)),
            12 => MetadataValue::Float(f64::from_le_bytes(self.bytes()?)),
            other => return Err(self.malformed(format!("unknown metadata type {other}"))),
        })
    }

    fn value(&mut self, key: &str) -> Result<MetadataValue, GgufError> {
        let value_type = self.u32()?;
        if value_type != 9 {
            return self.scalar(value_type);
        }
        let element_type = self.u32()?;
        let len = self.u64()?;
        if len > SANITY_LIMIT {
            return Err(self.malformed(format!("an array of {len} elements")));
        }
        let fixed = match element_type {
            0 | 1 | 7 => Some(1),
            2 | 3 => Some(2),
            4..=6 => Some(4),
            10..=12 => Some(8),
            _ => None,
        };
        if let Some(size) = fixed {
            self.skip(size * len)?;
            return Ok(MetadataValue::Array { len });
        }
        if element_type != 8 {
            return Err(self.malformed(format!("unsupported array element type {element_type}")));
        }
        if KEPT_STRING_ARRAYS.contains(&key) {
            let mut strings = Vec::with_capacity(len.min(RESERVE_LIMIT) as usize);
            for _ in 0..len {
                strings.push(self.string()?);
            }
            Ok(MetadataValue::Strings(strings))
        } else {
            for _ in 0..len {
                let n = self.u64()?;
                self.skip(n)?;
            }
            Ok(MetadataValue::Array { len })
        }
    }
}

impl GgufInfo {
    /// Reads and checks a GGUF file's header; a file shorter than its tensors is `Truncated`.
    pub fn read(path: &Path) -> Result<GgufInfo, GgufError> {
        let file = File::open(path)
            .map_err(|source| GgufError::Io { path: path.to_path_buf(), source })?;
        let file_size = file
            .metadata()
            .map_err(|source| GgufError::Io { path: path.to_path_buf(), source })?
            .len();
        let mut reader = Reader { inner: BufReader::with_capacity(1 << 16, file), path };
        let magic = reader.bytes::<4>().map_err(|_| GgufError::NotGguf { path: path.into() })?;
        if &magic != b"GGUF" {
            return Err(GgufError::NotGguf { path: path.to_path_buf() });
        }
        let version = reader.u32()?;
        if !(2..=3).contains(&version) {
            return Err(reader.malformed(format!("unsupported GGUF version {version}")));
        }
        let tensor_count = reader.u64()?;
        let metadata_count = reader.u64()?;
        if tensor_count > SANITY_LIMIT || metadata_count > SANITY_LIMIT {
            return Err(reader.malformed("implausible tensor or metadata count"));
        }
        let mut metadata = BTreeMap::new();
        for _ in 0..metadata_count {
            let key = reader.string()?;
            let value = reader.value(&key)?;
            metadata.insert(key, value);
        }
        let mut tensors = Vec::with_capacity(tensor_count.min(RESERVE_LIMIT) as usize);
        for _ in 0..tensor_count {
            let name = reader.string()?;
            let n_dims = reader.u32()?;
            if n_dims > 8 {
                return Err(reader.malformed(format!("tensor {name} has {n_dims} dimensions")));
            }
            let dims = (0..n_dims).map(|_| reader.u64()).collect::<Result<Vec<_>, _>>()?;
            let ggml_type = reader.u32()?;
            let offset = reader.u64()?;
            tensors.push(TensorInfo { name, dims, ggml_type, offset });
        }
        let position = reader.inner.stream_position().map_err(|e| reader.io(e))?;
        let alignment = match metadata.get("general.alignment") {
            Some(MetadataValue::Uint(a)) if *a > 0 => *a,
            _ => 32,
        };
        let data_offset = position.div_ceil(alignment) * alignment;
        let info = GgufInfo {
            path: path.to_path_buf(),
            version,
            metadata,
            tensors,
            data_offset,
            file_size,
        };
        let expected = info.expected_size();
        if expected > file_size {
            return Err(GgufError::Truncated {
                path: path.to_path_buf(),
                expected,
                actual: file_size,
            });
        }
        Ok(info)
    }

    /// The file size the header implies (end of the last tensor's data; saturating, so a
    /// corrupt offset or shape implies more than any file has).
    pub fn expected_size(&self) -> u64 {
        self.tensors
            .iter()
            .map(|t| {
                self.data_offset.saturating_add(t.offset).saturating_add(t.bytes().unwrap_or(0))
            })
            .max()
            .unwrap_or(self.data_offset)
    }

    /// The metadata value of `key`.
    pub fn get(&self, key: &str) -> Option<&MetadataValue> {
        self.metadata.get(key)
    }

    /// The metadata value of `key`, when it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.metadata.get(key)? {
            MetadataValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The metadata value of `key`, when it is a non-negative integer.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        match self.metadata.get(key)? {
            MetadataValue::Uint(v) => Some(*v),
            MetadataValue::Int(v) if *v >= 0 => Some(*v as u64),
            _ => None,
        }
    }

    /// `general.architecture`, e.g. `llama`.
    pub fn architecture(&self) -> Option<&str> {
        self.get_str("general.architecture")
    }

    /// An architecture-scoped number, e.g. `arch_u64("block_count")` for `llama.block_count`.
    pub fn arch_u64(&self, key: &str) -> Option<u64> {
        self.get_u64(&format!("{}.{key}", self.architecture()?))
    }

    /// The tokenizer's vocabulary, when the file carries one.
    pub fn tokens(&self) -> &[String] {
        match self.metadata.get("tokenizer.ggml.tokens") {
            Some(MetadataValue::Strings(tokens)) => tokens,
            _ => &[],
        }
    }

    /// Total bytes of all tensor data (saturating).
    pub fn weight_bytes(&self) -> u64 {
        self.tensors.iter().filter_map(TensorInfo::bytes).fold(0, u64::saturating_add)
    }

    /// The ggml type holding most of the weights.
    pub fn dominant_type(&self) -> Option<u32> {
        let mut by_type: BTreeMap<u32, u64> = BTreeMap::new();
        for tensor in &self.tensors {
            let bytes = by_type.entry(tensor.ggml_type).or_default();
            *bytes = bytes.saturating_add(tensor.bytes().unwrap_or(0));
        }
        by_type.into_iter().max_by_key(|(_, bytes)| *bytes).map(|(t, _)| t)
    }

    /// Detects the prompt family from the vocabulary.
    pub fn family(&self) -> crate::ModelFamily {
        let tokens: std::collections::HashSet<&str> =
            self.tokens().iter().map(String::as_str).collect();
        crate::ModelFamily::detect(|token| tokens.contains(token))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u64).to_le_bytes());
        out.extend(s.as_bytes());
    }

    /// A tiny but valid GGUF file: llama metadata, a vocabulary, one F32 tensor of 8 elements.
    pub(crate) fn tiny_gguf(tokens: &[&str]) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(1u64.to_le_bytes()); // tensors
        out.extend(3u64.to_le_bytes()); // metadata
        string(&mut out, "general.architecture");
        out.extend(8u32.to_le_bytes());
        string(&mut out, "llama");
        string(&mut out, "llama.block_count");
        out.extend(4u32.to_le_bytes());
        out.extend(30u32.to_le_bytes());
        string(&mut out, "tokenizer.ggml.tokens");
        out.extend(9u32.to_le_bytes());
        out.extend(8u32.to_le_bytes());
        out.extend((tokens.len() as u64).to_le_bytes());
        for token in tokens {
            string(&mut out, token);
        }
        string(&mut out, "token_embd.weight");
        out.extend(2u32.to_le_bytes());
        out.extend(4u64.to_le_bytes());
        out.extend(2u64.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        while !out.len().is_multiple_of(32) {
            out.push(0);
        }
        out.extend([0u8; 32]);
        out
    }

    pub(crate) fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[test]
    fn reads_metadata_tensors_and_family() {
        let file = write(&tiny_gguf(&["<|endoftext|>", "<file_sep>", "<filename>", "a"]));
        let info = GgufInfo::read(file.path()).unwrap();
        assert_eq!(info.architecture(), Some("llama"));
        assert_eq!(info.arch_u64("block_count"), Some(30));
        assert_eq!(info.tokens().len(), 4);
        assert_eq!(info.tensors[0].dims, vec![4, 2]);
        assert_eq!(info.weight_bytes(), 32);
        assert_eq!(info.family(), crate::ModelFamily::RepoTokens);
    }

    #[test]
    fn a_truncated_file_is_named_as_such() {
        let bytes = tiny_gguf(&["a"]);
        let file = write(&bytes[..bytes.len() - 10]);
        match GgufInfo::read(file.path()) {
            Err(GgufError::Truncated { expected, actual, .. }) => assert!(expected > actual),
            other => panic!("expected Truncated, got {other:?}"),
        }
        let file = write(&bytes[..40]);
        assert!(matches!(GgufInfo::read(file.path()), Err(GgufError::Malformed { .. })));
    }

    /// A GGUF file with no metadata but `extra` (raw key-value bytes, `extra_count` of them)
    /// and one tensor of `dims`, `ggml_type` at `offset`, followed by 64 bytes of data.
    fn one_tensor(
        extra_count: u64,
        extra: &[u8],
        dims: &[u64],
        ggml_type: u32,
        offset: u64,
    ) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(1u64.to_le_bytes());
        out.extend(extra_count.to_le_bytes());
        out.extend(extra);
        string(&mut out, "t");
        out.extend((dims.len() as u32).to_le_bytes());
        for dim in dims {
            out.extend(dim.to_le_bytes());
        }
        out.extend(ggml_type.to_le_bytes());
        out.extend(offset.to_le_bytes());
        while !out.len().is_multiple_of(32) {
            out.push(0);
        }
        out.extend([0u8; 64]);
        out
    }

    fn expect_truncated(bytes: &[u8]) {
        let file = write(bytes);
        match GgufInfo::read(file.path()) {
            Err(GgufError::Truncated { expected, actual, .. }) => assert!(expected > actual),
            other => panic!("expected Truncated, got {other:?}"),
        }
    }

    #[test]
    fn fuzz_gguf_header_tensor_offset_past_u64() {
        // The end of the tensor's data overflowed u64 (a panic with overflow checks on).
        expect_truncated(&one_tensor(0, &[], &[8], 0, u64::MAX));
        expect_truncated(&one_tensor(0, &[], &[8], 0, u64::MAX - 16));
    }

    #[test]
    fn fuzz_gguf_header_tensor_elements_past_u64() {
        // The product of the dimensions overflowed; so did its bytes for a block type.
        for ggml_type in [0, 8, 15] {
            expect_truncated(&one_tensor(0, &[], &[1 << 40, 1 << 40], ggml_type, 0));
            expect_truncated(&one_tensor(0, &[], &[u64::MAX, 2], ggml_type, 0));
        }
        let info =
            TensorInfo { name: "t".into(), dims: vec![u64::MAX, 3], ggml_type: 0, offset: 0 };
        assert_eq!(info.elements(), u64::MAX);
        assert_eq!(info.bytes(), Some(u64::MAX));
    }

    #[test]
    fn fuzz_gguf_header_string_array_skip_past_i64() {
        // A string of 2^64-1 bytes in an array that is skipped was a seek of -1 byte: the reader
        // went back and read its own length again as data.
        let mut extra = Vec::new();
        string(&mut extra, "tokenizer.ggml.merges");
        extra.extend(9u32.to_le_bytes());
        extra.extend(8u32.to_le_bytes());
        extra.extend(1u64.to_le_bytes());
        extra.extend(u64::MAX.to_le_bytes());
        let file = write(&one_tensor(1, &extra, &[8], 0, 0));
        match GgufInfo::read(file.path()) {
            Err(GgufError::Malformed { reason, .. }) => {
                assert!(reason.contains(&u64::MAX.to_string()), "{reason}")
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn a_foreign_or_missing_file_is_a_clear_error() {
        let file = write(b"<html>not a model</html>");
        let error = GgufInfo::read(file.path()).unwrap_err();
        assert!(matches!(error, GgufError::NotGguf { .. }));
        assert!(error.to_string().contains("not a GGUF model file"));
        let empty = write(b"");
        assert!(matches!(GgufInfo::read(empty.path()), Err(GgufError::NotGguf { .. })));
        let missing = Path::new("/nonexistent/model.gguf");
        let error = GgufInfo::read(missing).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/model.gguf"));
    }
}
