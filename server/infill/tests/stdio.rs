//! End to end: the built `infill` binary, spoken to over its stdin/stdout.

mod common;

use common::spawn_binary;
use serde_json::{Value, json};

#[tokio::test]
async fn the_binary_serves_lsp_over_stdio() {
    let (mut child, mut client) = spawn_binary(&["lsp", "--stdio"], &[]);

    let response = client.initialize(json!({}), Value::Null).await;
    assert_eq!(response["result"]["serverInfo"]["name"], "infill", "{response}");
    let uri = "file:///project/notes.py";
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}}),
        )
        .await;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
                {"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 5}}, "text": "\"日本😀\""}
            ]}),
        )
        .await;
    client.send_raw(b"{\"broken\": ").await;
    let document = client.request("infill/document", json!({"uri": uri})).await;
    assert_eq!(document["result"]["text"], "x = \"日本😀\"\n", "{document}");
    assert_eq!(document["result"]["language"], "python");

    let shutdown = client.request("shutdown", Value::Null).await;
    assert!(shutdown.get("error").is_none(), "{shutdown}");
    client.notify("exit", Value::Null).await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the server exits after `exit`")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// `vscode-languageclient` appends `--stdio` to the configured arguments, so a documented
/// `infill lsp --stdio` arrives as `infill lsp --stdio --stdio`; node transports add
/// `--clientProcessId=N`. The server must start with them, as other servers do.
#[tokio::test]
async fn the_launch_arguments_language_clients_add_are_accepted() {
    for args in [
        &["lsp", "--stdio", "--stdio"][..],
        &["--stdio"][..],
        &["lsp", "--stdio", &format!("--clientProcessId={}", std::process::id())][..],
    ] {
        let (mut child, mut client) = spawn_binary(args, &[]);
        let response = client.initialize(json!({}), Value::Null).await;
        assert_eq!(response["result"]["serverInfo"]["name"], "infill", "{args:?}: {response}");
        client.request("shutdown", Value::Null).await;
        client.notify("exit", Value::Null).await;
        let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
            .await
            .expect("the server exits after `exit`")
            .unwrap();
        assert!(status.success(), "{args:?}: {status}");
    }
}

/// The server exits when the client process named by `--clientProcessId` dies, instead of
/// staying behind as an orphan holding the model.
#[cfg(unix)]
#[tokio::test]
async fn the_server_exits_when_the_client_process_dies() {
    let mut editor = std::process::Command::new("sleep").arg("600").spawn().unwrap();
    let (mut child, mut client) =
        spawn_binary(&["lsp", "--stdio", &format!("--clientProcessId={}", editor.id())], &[]);
    let response = client.initialize(json!({}), Value::Null).await;
    assert_eq!(response["result"]["serverInfo"]["name"], "infill", "{response}");
    // Still serving while the editor lives.
    assert!(child.try_wait().unwrap().is_none());
    editor.kill().unwrap();
    editor.wait().unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait())
        .await
        .expect("the server exits once its client's process is gone")
        .unwrap();
    assert!(status.success(), "{status}");
    drop(client);
}

/// The sockets process `pid` holds, as `(inode, kind)`: every `socket:[inode]` link of
/// `/proc/<pid>/fd`, with the table of `/proc/<pid>/net/` that lists its inode (`tcp`, `tcp6`,
/// `udp`, `udp6`, `raw`, `raw6`, or `unix`; `unix (path)` for a bound Unix socket), or `other`
/// (netlink, packet…).
#[cfg(target_os = "linux")]
fn sockets_of(pid: u32) -> Vec<(String, String)> {
    let tables = ["tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix"];
    let mut kinds = std::collections::HashMap::new();
    for table in tables {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // unix: Num RefCount Protocol Flags Type St Inode [Path]; inet: the inode is 10th.
            let (inode, kind) = match table {
                "unix" if fields.len() > 7 => (fields[6], format!("unix ({})", fields[7])),
                "unix" if fields.len() == 7 => (fields[6], "unix".to_owned()),
                _ if fields.len() > 9 => (fields[9], table.to_owned()),
                _ => continue,
            };
            kinds.insert(inode.to_owned(), kind);
        }
    }
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("the server's fd table");
    fds.filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let inode = target.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned();
            let kind = kinds.get(&inode).cloned().unwrap_or_else(|| "other".to_owned());
            Some((inode, kind))
        })
        .collect()
}

/// Architecture invariant: embedded mode opens no network socket. The server is started,
/// initialized over a workspace (so it indexes), given a document and asked for a completion
/// and for context (the model path does not exist, so the engine's load runs and fails), and
/// then every socket in its fd table (`/proc/<pid>/fd`) is an unnamed Unix-domain one: none is
/// listed in `/proc/<pid>/net/tcp`, `tcp6`, `udp`, `udp6`, `raw` or `raw6`, none is a bound
/// Unix socket, none is of another family. (The async runtime holds one unnamed, connected
/// `AF_UNIX` pair of its own: tokio's signal wake-up, from `mio::net::UnixStream::pair`.)
#[cfg(target_os = "linux")]
#[tokio::test]
async fn embedded_mode_opens_no_socket() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("lib.py"), "def double(x):\n    return 2 * x\n").unwrap();
    let root_uri = format!("file://{}", root.path().display());
    let (mut child, mut client) = spawn_binary(&["lsp", "--stdio"], &[]);
    let pid = child.id().expect("the server runs");
    let response = client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri,
                   "capabilities": {"textDocument": {"inlineCompletion": {}}}}),
        )
        .await;
    assert!(response.get("error").is_none(), "{response}");
    client.notify("initialized", json!({})).await;
    let uri = format!("{root_uri}/main.py");
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                   "text": "from lib import double\n\nprint(double("}}),
        )
        .await;
    // Wait until the engine has finished trying to load.
    let mut status = Value::Null;
    for _ in 0..200 {
        status = client.request("infill/status", json!({})).await;
        if status["result"]["engine"].as_str().is_some_and(|engine| engine != "loading") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        status["result"]["engine"].as_str().unwrap_or("").starts_with("unavailable"),
        "{status}"
    );
    let completion = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 13},
                   "context": {"triggerKind": 1}}),
        )
        .await;
    assert!(completion.get("id").is_some(), "{completion}");
    let context = client
        .request(
            "infill/context",
            json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 13}}),
        )
        .await;
    assert!(context.get("result").is_some(), "{context}");

    let sockets = sockets_of(pid);
    let network: Vec<_> = sockets.iter().filter(|(_, kind)| kind != "unix").collect();
    assert!(network.is_empty(), "the server holds sockets other than internal pairs: {sockets:?}");

    client.request("shutdown", Value::Null).await;
    client.notify("exit", Value::Null).await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the server exits after `exit`")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// The binary keeps a workspace's on-disk index in the cache directory it is given (the tests'
/// own, never the user's `~/.cache/infill`).
#[tokio::test]
async fn the_binary_keeps_its_index_in_the_given_cache_directory() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("lib.py"), "def double(x):\n    return 2 * x\n").unwrap();
    let root_uri = format!("file://{}", root.path().display());
    let (mut child, mut client) = spawn_binary(&["lsp", "--stdio"], &[]);
    let response = client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri,
                   "capabilities": {"window": {"workDoneProgress": true}}}),
        )
        .await;
    assert!(response.get("error").is_none(), "{response}");
    client.notify("initialized", json!({})).await;
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let message = client.read_message().await;
            if message["method"] == "window/workDoneProgress/create" {
                client.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": null})).await;
            } else if message["method"] == "$/progress"
                && message["params"]["token"] == "infill/indexing"
                && message["params"]["value"]["kind"] == "end"
            {
                return;
            }
        }
    })
    .await
    .expect("indexing finished");
    let index = common::index_file_of(root.path());
    assert!(
        index.is_some(),
        "no index of {} in the tests' cache {}",
        root.path().display(),
        common::test_cache_dir().display()
    );
    client.request("shutdown", Value::Null).await;
    client.notify("exit", Value::Null).await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the server exits after `exit`")
        .unwrap();
    assert!(status.success(), "{status}");
}
