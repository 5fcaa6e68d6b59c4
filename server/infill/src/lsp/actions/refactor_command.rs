//! `infill.refactor`: the refactor agent run as a command, its steps reported as `$/progress`,
//! cancellable from the editor, its change sent with `workspace/applyEdit`.

use std::sync::atomic::{AtomicU64, Ordering};

use infill_ide::refactor::{self, Progress, RefactorRequest, Scope, Step};

use super::*;

/// Arguments of `infill.refactor`.
#[derive(Debug, Deserialize)]
pub(super) struct RefactorArgs {
    instruction: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    uri: Uri,
    range: Option<Range>,
}

static REFACTOR_RUNS: AtomicU64 = AtomicU64::new(1);

/// Reports the agent's steps as `$/progress` (and to the log).
struct StepReporter {
    sender: tokio::sync::mpsc::UnboundedSender<String>,
}

impl Progress for StepReporter {
    fn step(&self, step: Step, message: &str) {
        tracing::info!(step = step.name(), message, "refactor");
        let _ = self.sender.send(format!("{}: {message}", step.name()));
    }
}

pub(super) async fn run_refactor(
    client: &Client,
    state: &Arc<State>,
    features: ActionClient,
    args: RefactorArgs,
) -> Result<Value> {
    let instruction = args.instruction.unwrap_or_default();
    if instruction.trim().is_empty() {
        return Err(invalid_params(
            "infill.refactor needs an instruction (`{\"instruction\": \"...\", \"uri\": ..., \"range\": ...}`); \
             the editor plugins ask for one",
        ));
    }
    let scope = match args.scope.as_deref() {
        None => Scope::Selection,
        Some(name) => Scope::from_name(name).ok_or_else(|| {
            invalid_params(format!("unknown scope `{name}`: selection, file or workspace"))
        })?,
    };
    if crate::lsp::completion::is_private(state, &args.uri) {
        return Err(invalid_params("this file is private: Infill does not read it"));
    }
    let range = args.range.unwrap_or_default();
    let target = target(state, &args.uri, range)?;
    let request = RefactorRequest {
        instruction,
        scope,
        path: target.path.clone(),
        selection: target.selection.clone(),
    };

    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<String>();
    // The agent runs on its own task: `$/cancelRequest` (this future dropped) and the progress
    // cancel button both abort it.
    let task = {
        let state = Arc::clone(state);
        tokio::spawn(async move {
            let sources = EdgeSources::new(&state);
            let env = action_env(&state, &sources, &request.path).await?;
            let reporter = StepReporter { sender };
            refactor::refactor(&env, Some(&state.workspace), &request, &reporter)
                .await
                .map_err(action_error)
        })
    };
    let abort = AbortOnDrop(task.abort_handle());
    // The agent is already working while the client creates the progress token.
    let run = REFACTOR_RUNS.fetch_add(1, Ordering::Relaxed);
    let token =
        crate::lsp::background::progress_token(client, state, &format!("infill/refactor/{run}"))
            .await;
    if let Some(token) = &token {
        state.cancellable.insert(token.clone(), task.abort_handle());
    }
    let progress = match token.clone() {
        Some(token) => {
            Some(client.progress(token, "Infill: refactor").with_cancel_button().begin().await)
        }
        None => None,
    };
    let mut task = task;
    let mut open = true;
    let outcome = loop {
        tokio::select! {
            biased;
            message = receiver.recv(), if open => match (message, &progress) {
                (Some(message), Some(progress)) => progress.report_with_message(message, None).await,
                (Some(_), None) => {}
                (None, _) => open = false,
            },
            joined = &mut task => break joined,
        }
    };
    while let Ok(message) = receiver.try_recv() {
        if let Some(progress) = &progress {
            progress.report_with_message(message, None).await;
        }
    }
    if let Some(token) = &token {
        state.cancellable.remove(token);
    }
    drop(abort);
    let outcome = match outcome {
        Ok(result) => result,
        Err(join) if join.is_cancelled() => Err(Error {
            code: ErrorCode::RequestCancelled,
            message: "the refactor was cancelled; nothing was changed".into(),
            data: None,
        }),
        Err(join) => Err(internal(format!("the refactor failed: {join}"))),
    };
    let finish = |message: String| async {
        if let Some(progress) = progress {
            progress.finish_with_message(message).await;
        }
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            finish(format!("failed: {}", error.message)).await;
            return Err(error);
        }
    };
    // A document edited while the agent worked: refuse rather than clobber.
    for file in &outcome.changes.files {
        if let Some(version) = file.version {
            let current = state
                .documents
                .iter()
                .find(|d| convert::uri_to_path(d.key()).as_deref() == Some(file.path.as_path()))
                .map(|d| d.version());
            if current != Some(version) {
                let message = format!(
                    "{} changed while the refactor ran; nothing was applied",
                    file.path.display()
                );
                finish(message.clone()).await;
                return Err(Error {
                    code: ErrorCode::ServerError(-32801),
                    message: message.into(),
                    data: None,
                });
            }
        }
    }
    let mut result = apply(client, state, features, &outcome.changes, "Infill: refactor").await?;
    result["steps"] = json!(
        outcome
            .steps
            .iter()
            .map(|(step, message)| json!({"step": step.name(), "message": message}))
            .collect::<Vec<_>>()
    );
    let applied = result["applied"].as_bool().unwrap_or(false);
    finish(if applied { "applied".to_owned() } else { "not applied".to_owned() }).await;
    Ok(result)
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `window/workDoneProgress/cancel`: the user pressed cancel on a refactor's progress.
pub fn cancel_progress(state: &State, token: &NumberOrString) {
    if let Some((_, handle)) = state.cancellable.remove(token) {
        handle.abort();
    }
}
