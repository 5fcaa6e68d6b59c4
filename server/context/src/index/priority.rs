//! Low priority for the cold-indexing workers: on Linux, where the nice value belongs to each
//! thread, a worker raises its own by [`NICE_INCREMENT`] so indexing a large tree takes the
//! cores only when the editor, the engine and the rest of the machine leave them idle. Elsewhere
//! the nice value is the whole process's, so nothing is changed.

/// How much a worker thread lowers its priority (the `nice` increment).
pub(super) const NICE_INCREMENT: i32 = 10;

/// Lowers the calling thread's priority; best effort (a failure leaves it as it was).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn lower_this_thread() {
    // SAFETY: `nice` takes an integer and touches no memory of ours; on Linux it changes the
    // calling thread only. Raising the nice value needs no privilege.
    let _ = unsafe { libc::nice(NICE_INCREMENT) };
}

/// Lowers the calling thread's priority; a no-op where priority is per process.
#[cfg(not(target_os = "linux"))]
pub(super) fn lower_this_thread() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The calling thread's nice value, from /proc (field 19 of its stat line).
    fn nice_of(task: &str) -> Option<i32> {
        let stat = std::fs::read_to_string(format!("/proc/thread-self/{task}")).ok()?;
        let after_name = &stat[stat.rfind(')')? + 2..];
        after_name.split_whitespace().nth(16)?.parse().ok()
    }

    #[test]
    fn lowers_only_the_calling_thread() {
        let before = nice_of("stat").expect("a nice value");
        let worker = std::thread::spawn(|| {
            lower_this_thread();
            nice_of("stat")
        })
        .join()
        .expect("the worker");
        assert_eq!(worker, Some((before + NICE_INCREMENT).min(19)));
        assert_eq!(nice_of("stat"), Some(before), "the caller keeps its priority");
    }
}
