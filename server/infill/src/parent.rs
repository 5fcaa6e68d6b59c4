//! Exits the server when the editor that started it is gone: language clients name their process
//! (`--clientProcessId=N` on the command line, `processId` in `initialize`), and the protocol
//! asks a server to exit when that process dies, so no orphan keeps a model in memory.

use std::time::Duration;

/// How often the client's process is checked.
const POLL: Duration = Duration::from_secs(2);

/// Whether process `pid` is alive, when this platform can tell.
pub fn is_alive(pid: u32) -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        // A zombie (exited, not yet reaped) counts as gone.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => Some(
                !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
            ),
            Err(_) => Some(false),
        }
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .ok()
            .map(|status| status.success())
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        None
    }
}

/// Watches process `pid` on a background task and exits this process when it dies.
pub fn exit_when_gone(pid: u32) {
    if is_alive(pid).is_none() {
        tracing::debug!(pid, "cannot watch the client's process on this platform");
        return;
    }
    tokio::spawn(async move {
        loop {
            if is_alive(pid) == Some(false) {
                tracing::info!(pid, "the client's process is gone; exiting");
                std::process::exit(0);
            }
            tokio::time::sleep(POLL).await;
        }
    });
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert_eq!(is_alive(std::process::id()), Some(true));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(is_alive(pid), Some(false));
    }
}
