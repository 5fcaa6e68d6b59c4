//! The GGUF header reader (`infill_engine::gguf`) and what reads its results (the model-file
//! check, the memory planner) on arbitrary bytes: a clear error or a header, never a panic,
//! and bounded allocation: a declared length far beyond the file (a string, an array, a tensor
//! count) must not allocate for it. Run with `-malloc_limit_mb` (scripts/fuzz does) so that a
//! large allocation is a crash.

#![no_main]

use infill_engine::gguf::{GgufError, GgufInfo};
use infill_engine::models::check_model_file;
use infill_engine::planner::{KvDtype, ModelShape, plan};
use libfuzzer_sys::fuzz_target;

const SCRATCH_PREFIX: &str = "infill-fuzz-gguf-";

/// One scratch file per process, in memory where the system has a tmpfs. Those that processes
/// no longer running left behind are removed first.
fn scratch() -> &'static std::path::Path {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix(SCRATCH_PREFIX).and_then(|rest| rest.strip_suffix(".gguf"));
            if pid.is_some_and(|pid| !std::path::Path::new("/proc").join(pid).exists()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        dir.join(format!("{SCRATCH_PREFIX}{}.gguf", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("the scratch file is writable");
    match GgufInfo::read(path) {
        Ok(info) => {
            assert!(data.starts_with(b"GGUF"));
            assert!(info.expected_size() <= data.len() as u64, "a header larger than its file");
            assert_eq!(info.file_size, data.len() as u64);
            let _ = (info.weight_bytes(), info.dominant_type(), info.family());
            let _ = (info.architecture(), info.arch_u64("block_count"), info.tokens().len());
            for tensor in &info.tensors {
                let _ = (tensor.elements(), tensor.bytes());
            }
            if let Some(shape) = ModelShape::from_gguf(&info) {
                // The contexts `infill doctor` plans for, the model's own among them.
                for dtype in [KvDtype::F32, KvDtype::F16, KvDtype::Q4] {
                    for context in [0, 2048, shape.max_context] {
                        let plan = plan(&shape, context, dtype, 8 << 30);
                        let _ = plan.verdict();
                    }
                }
            }
            assert!(check_model_file(path).is_ok());
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains(&*path.to_string_lossy()), "the error names the file");
            if !data.starts_with(b"GGUF") {
                assert!(matches!(error, GgufError::NotGguf { .. }), "{error}");
            }
            assert!(check_model_file(path).is_err());
        }
    }
});
