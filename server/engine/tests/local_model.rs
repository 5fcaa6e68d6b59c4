//! The in-process engine with the real default model (`INFILL_TEST_MODEL`, set by
//! scripts/test after `infill model fetch`). These tests load the model and generate; without
//! the model they are skipped with a message, unless `INFILL_REQUIRE_MODEL=1` (scripts/test and
//! CI) makes that a failure.

#![cfg(feature = "mistralrs")]

use std::time::{Duration, Instant};

use infill_engine::models::test_model_or_skip;
use infill_engine::{
    ChatMessage, Engine, EngineError, FinishReason, GenerateRequest, LocalEngine,
    LocalEngineConfig, ModelFamily, OutputCut, PromptInput,
};
use tokio::sync::OnceCell;

static ENGINE: OnceCell<Option<LocalEngine>> = OnceCell::const_new();

/// One engine for the whole file: loading takes seconds and tests share its prefix cache, so
/// they run one at a time through `serial`. `None` when the model is absent (the test skips).
async fn engine() -> Option<&'static LocalEngine> {
    ENGINE
        .get_or_init(|| async {
            let path = test_model_or_skip()?;
            let config = LocalEngineConfig { path: Some(path), ..Default::default() };
            Some(LocalEngine::load(config).await.expect("the default model loads"))
        })
        .await
        .as_ref()
}

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A ~400-token prompt of real code.
fn long_prompt() -> String {
    let mut text = String::from("<file_sep>src/inventory.py\n");
    for i in 0..12 {
        text.push_str(&format!(
            "def restock_item_{i}(inventory, item, amount):\n    \"\"\"Adds amount units of item.\"\"\"\n    inventory[item] = inventory.get(item, 0) + amount\n    return inventory[item]\n\n\n"
        ));
    }
    text.push_str("def remove_item(inventory, item, amount):\n    inventory[item] = inventory.get(item, 0) - ");
    text
}

fn request(prompt: &str) -> GenerateRequest {
    let mut request = GenerateRequest::completion(prompt, 12);
    request.stop = vec!["\n".into()];
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_the_model_and_completes_code() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let capabilities = engine.capabilities();
    assert_eq!(capabilities.family, ModelFamily::RepoTokens);
    assert!(capabilities.context_length >= 2048);
    let done = engine.generate(request(&long_prompt())).collect().await.unwrap();
    assert!(!done.text.trim().is_empty(), "{done:?}");
    assert!(!done.text.contains('\n'));
    assert!(matches!(done.reason, FinishReason::Stop | FinishReason::Length));
    assert!(done.stats.prompt_tokens > 300, "{:?}", done.stats);
    assert!(done.stats.generated_tokens >= 1);
    assert!(engine.count_tokens("def f():\n    return 1\n").await.unwrap() >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_compute_only_the_new_tokens_and_answer_as_a_cold_run_would() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let base = long_prompt();
    let cold = engine.generate(request(&base)).collect().await.unwrap();

    // Typing: the prompt grows by a few characters.
    let typed = format!("{base}amo");
    let warm = engine.generate(request(&typed)).collect().await.unwrap();
    assert!(warm.stats.computed_tokens <= 4, "typing recomputed {:?}", warm.stats);
    assert!(warm.stats.cached_tokens + 4 >= warm.stats.prompt_tokens);

    // Backspace: the prompt is now covered by a cached entry; only its last token is computed.
    let again = engine.generate(request(&base)).collect().await.unwrap();
    assert_eq!(again.stats.computed_tokens, 1, "{:?}", again.stats);
    // Greedy decoding from the rewound cache gives the cold run's answer.
    assert_eq!(again.text, cold.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_generation_frees_the_engine_and_keeps_its_prompt_cached() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let prompt = format!("{}# a long comment about", long_prompt());
    let mut long = GenerateRequest::completion(&prompt, 400);
    long.stop = Vec::new();
    let mut generation = engine.generate(long);
    assert_eq!(generation.wait_for_deltas(2).await, 2);
    generation.cancel();
    let started = Instant::now();
    let next = engine.generate(request(&format!("{prompt} x"))).collect().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    // The cancelled request's prompt was cached: the follow-up computed only its new tokens.
    assert!(next.stats.computed_tokens <= 6, "{:?}", next.stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_cancelled_part_way_stops_and_the_next_request_resumes_from_its_chunks() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    // ~1,000 new tokens: many seconds of prefill on a CPU.
    let prompt = format!("# cancelled part-way\n{}{}", long_prompt(), long_prompt().repeat(2));
    let generation = engine.generate(request(&prompt));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    generation.cancel();
    let cancelled = Instant::now();
    while engine.busy() > 0 {
        assert!(
            cancelled.elapsed() < Duration::from_secs(3),
            "the prompt kept running after its request was cancelled"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut resume = request(&prompt);
    resume.max_tokens = 1;
    let resumed = engine.generate(resume).collect().await.unwrap();
    // Whole 32-token chunks of the cancelled pass were kept and reused.
    assert!(resumed.stats.cached_tokens >= 32, "{:?}", resumed.stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_keeps_the_leading_space_of_its_first_token() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let prompt = "<file_sep>math.py\ndef add(a, b):\n    return a +";
    let done = engine.generate(request(prompt)).collect().await.unwrap();
    assert!(done.text.starts_with(" b"), "{:?}", done.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_rule_stops_decoding() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let mut cut = GenerateRequest::completion(format!("{}\n# notes\n", long_prompt()), 64);
    cut.cut = Some(OutputCut::new(|text: &str| (text.len() >= 12).then_some(12)));
    let done = engine.generate(cut).collect().await.unwrap();
    assert_eq!(done.reason, FinishReason::Stop);
    assert!(done.stats.generated_tokens < 64, "{:?}", done.stats);
    assert!(done.text.len() >= 12, "{:?}", done.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honours_the_time_budget() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let mut budgeted = GenerateRequest::completion(format!("{}\n# notes\n", long_prompt()), 2000);
    budgeted.stop = Vec::new();
    budgeted.time_budget = Some(Duration::from_millis(300));
    let started = Instant::now();
    let done = engine.generate(budgeted).collect().await.unwrap();
    assert_eq!(done.reason, FinishReason::TimeBudget);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_with_the_models_template() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let chat = GenerateRequest {
        input: PromptInput::Chat(vec![ChatMessage::new("user", "Name one colour.")]),
        stop: Vec::new(),
        max_tokens: 8,
        time_budget: None,
        temperature: 0.0,
        top_p: None,
        seed: Some(0),
        cut: None,
        draft_from_prompt: false,
    };
    let done = engine.generate(chat).collect().await.unwrap();
    assert!(!done.text.trim().is_empty(), "{done:?}");
}

#[tokio::test]
async fn a_missing_model_is_unavailable_with_the_path_and_the_fix() {
    let config =
        LocalEngineConfig { path: Some("/no/such/model.gguf".into()), ..Default::default() };
    match LocalEngine::load(config).await {
        Err(EngineError::Unavailable(message)) => {
            assert!(message.contains("/no/such/model.gguf"), "{message}");
            assert!(message.contains("infill model fetch"), "{message}");
        }
        other => panic!("expected Unavailable, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_corrupt_model_is_unavailable_not_a_crash() {
    let Some(model) = test_model_or_skip() else { return };
    let dir = std::env::temp_dir().join(format!("infill-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.gguf");
    let real = std::fs::read(model).unwrap();
    std::fs::write(&path, &real[..real.len() / 3]).unwrap();
    let config = LocalEngineConfig { path: Some(path.clone()), ..Default::default() };
    let result = LocalEngine::load(config).await;
    std::fs::remove_dir_all(&dir).unwrap();
    match result {
        Err(EngineError::Unavailable(message)) => {
            assert!(message.contains("truncated"), "{message}")
        }
        other => panic!("expected Unavailable, got {:?}", other.map(|_| ())),
    }
}

/// Architecture invariant: embedded mode opens no network socket. After the real model has
/// loaded and generated in this process, every socket in its fd table (`socket:[inode]` links
/// of `/proc/self/fd`) is an unnamed Unix-domain one (an async runtime's internal wake-up pair):
/// none is listed in `/proc/self/net/tcp`, `tcp6`, `udp`, `udp6`, `raw` or `raw6`, and none
/// is a bound Unix socket or of another family.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_and_generating_opens_no_socket() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let done = engine.generate(request(&long_prompt())).collect().await.unwrap();
    assert!(done.stats.generated_tokens >= 1, "{done:?}");
    let unnamed_unix: std::collections::HashSet<String> =
        std::fs::read_to_string("/proc/self/net/unix")
            .unwrap_or_default()
            .lines()
            .skip(1)
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .filter(|fields| fields.len() == 7)
            .map(|fields| fields[6].to_owned())
            .collect();
    let sockets: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .expect("this process's fd table")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .map(|target| target.to_string_lossy().into_owned())
        .filter(|target| target.starts_with("socket:["))
        .collect();
    let other: Vec<&String> = sockets
        .iter()
        .filter(|socket| {
            let inode = socket.trim_start_matches("socket:[").trim_end_matches(']');
            !unnamed_unix.contains(inode)
        })
        .collect();
    assert!(other.is_empty(), "the engine holds sockets: {other:?} (all: {sockets:?})");
}

/// Prompt-lookup speculation with the real model: an output that copies its prompt (as an
/// edit's does) is decoded from drafts the target verifies several at a time, and greedy
/// decoding gives the text it gives without drafting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_lookup_drafts_from_the_prompt_and_keeps_the_greedy_output() {
    let _serial = SERIAL.lock().await;
    let Some(engine) = engine().await else { return };
    let mut source = String::from("<file_sep>src/inventory.py\n");
    for i in 0..6 {
        source.push_str(&format!(
            "def restock_item_{i}(inventory, item, amount):\n    \"\"\"Adds amount units of item.\"\"\"\n    inventory[item] = inventory.get(item, 0) + amount\n    return inventory[item]\n\n\n"
        ));
    }
    let prompt = format!("{source}<file_sep>src/inventory_copy.py\ndef restock_item_0(");
    let generate = |draft_from_prompt: bool| {
        let mut request = GenerateRequest::completion(prompt.clone(), 64);
        request.draft_from_prompt = draft_from_prompt;
        engine.generate(request).collect()
    };
    let plain = generate(false).await.unwrap();
    let before = infill_engine::prompt_lookup_stats();
    let drafted = generate(true).await.unwrap();
    let after = infill_engine::prompt_lookup_stats();
    assert!(after.steps > before.steps, "no verification step ran: {after:?}");
    assert!(after.accepted > before.accepted, "no drafted token was accepted: {after:?}");
    assert_eq!(drafted.text, plain.text);
    // Drafting is per request: a completion without it runs no verification step.
    let steps = infill_engine::prompt_lookup_stats().steps;
    generate(false).await.unwrap();
    assert_eq!(infill_engine::prompt_lookup_stats().steps, steps);
}
