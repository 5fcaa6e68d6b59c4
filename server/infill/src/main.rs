//! `infill`: the language server and its command-line tools.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod check;
use infill::cli::{self, DoctorOptions, Location};
use infill::config::Config;

/// A language server that puts a local code model inside every editor.
#[derive(Debug, Parser)]
#[command(name = "infill", version, about, long_about = None)]
struct Args {
    /// Configuration file (default: ~/.config/infill/config.toml when it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log to this file instead of stderr.
    #[arg(long, global = true)]
    log_file: Option<PathBuf>,
    /// Speak LSP over stdin/stdout (the only transport). Language clients append it themselves,
    /// so it may be repeated.
    #[arg(long, global = true, action = clap::ArgAction::Count)]
    stdio: u8,
    /// The editor's process: the server exits when it dies. Node language clients append it.
    #[arg(long = "clientProcessId", global = true, value_name = "PID")]
    client_process_id: Option<u32>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Language Server Protocol over stdio (the default).
    Lsp,
    /// Print a completion at FILE:LINE:COL (1-based line and column).
    Complete {
        location: Location,
        /// Print JSON with the text and the engine's measurements.
        #[arg(long)]
        json: bool,
    },
    /// Show the workspace context ranked for FILE:LINE:COL and the prompt it makes.
    Context {
        location: Location,
        /// Print JSON (snippets with path, range, score, reason; and the prompt).
        #[arg(long)]
        json: bool,
    },
    /// Run the refactor agent on a file; prints a unified diff and changes nothing on disk.
    Refactor {
        /// What to change, in plain words.
        #[arg(long)]
        instruction: String,
        /// The file to start from.
        #[arg(long)]
        path: PathBuf,
        /// Lines to select, 1-based: `LINE` or `FIRST-LAST`.
        #[arg(long, value_parser = infill::refactor_cli::parse_lines)]
        lines: Option<(usize, usize)>,
        /// How far the change reaches: selection, file or workspace (default: selection when
        /// lines are given, else file).
        #[arg(long)]
        scope: Option<String>,
        /// Print JSON: every file's new text and diff, and the agent's steps.
        #[arg(long)]
        json: bool,
    },
    /// Run one code action (explain, document, tests) on a file; prints the explanation or a
    /// unified diff and changes nothing on disk.
    Action {
        /// explain, document or tests.
        kind: String,
        /// The file.
        #[arg(long)]
        path: PathBuf,
        /// Lines to select, 1-based: `LINE` or `FIRST-LAST`.
        #[arg(long, value_parser = infill::refactor_cli::parse_lines)]
        lines: Option<(usize, usize)>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Get or convert model files.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Check the build, the CPU, the model and whether it fits in memory.
    Doctor {
        /// Context length to plan for (default: the configured or the model's).
        #[arg(long)]
        context: Option<u64>,
        /// KV cache type to plan for: f32, f16, bf16, fp8, q8, q4.
        #[arg(long)]
        kv_dtype: Option<String>,
        /// Memory to plan within, in GiB (default: the memory available now).
        #[arg(long)]
        memory_gib: Option<f64>,
    },
    /// Serve the configured engine over HTTP: OpenAI-compatible (/v1) and Ollama-compatible
    /// (/api) routes, on 127.0.0.1 unless --host says otherwise.
    Serve {
        /// The port (0: any free one; the address is printed on stderr).
        #[arg(long, default_value_t = infill::serve::DEFAULT_PORT)]
        port: u16,
        /// The address to bind; anything but loopback lets other machines in.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Require `Authorization: Bearer <token>`, the token read from this variable.
        #[arg(long, value_name = "VAR")]
        token_env: Option<String>,
    },
    /// Check files for security weaknesses (SQL and shell injection, secrets, weak hashes...);
    /// exits 0 when clean, 1 on findings at or above --fail-on, 2 on a usage or I/O error.
    Check(check::CheckArgs),
}

#[derive(Debug, Subcommand)]
enum ModelCommand {
    /// Download, verify, convert and cache the default model; prints its path.
    Fetch,
    /// Requantize a GGUF file (q8_0, q4_0, q4_k, q6_k, f16).
    Convert {
        input: PathBuf,
        output: PathBuf,
        #[arg(long = "type", default_value = "q8_0")]
        target: String,
    },
}

/// Library errors (candle's, anyhow's) capture a backtrace whenever `RUST_BACKTRACE` is set, and
/// resolving one maps the whole binary with its debug info: ~190 MB of resident memory for
/// nothing a user sees. Panics keep their backtraces; `RUST_LIB_BACKTRACE=1` brings the
/// library ones back.
fn quiet_library_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("RUST_LIB_BACKTRACE", "0")
        };
    }
}

fn main() -> ExitCode {
    quiet_library_backtraces();
    let args = Args::parse();
    // `check` needs no configuration, model or runtime, and has its own exit codes.
    if let Some(Command::Check(check_args)) = &args.command {
        return check::run(check_args);
    }
    let config = match Config::load(args.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("infill: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let log_file = args.log_file.clone().or_else(|| config.log_file.clone());
    if let Err(error) = infill::logging::init(config.log_level.as_deref(), log_file.as_deref()) {
        eprintln!("infill: {error:#}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("infill: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match args.command.unwrap_or(Command::Lsp) {
            Command::Lsp => {
                if let Some(pid) = args.client_process_id {
                    infill::parent::exit_when_gone(pid);
                }
                // Exit code 0 after `shutdown`, 1 without it, as the LSP spec asks.
                Ok(infill::lsp::serve_stdio(config).await)
            }
            Command::Complete { location, json } => {
                cli::complete(&config, &location, json).await.map(|_| true)
            }
            Command::Context { location, json } => {
                cli::context(&config, &location, json).map(|_| true)
            }
            Command::Refactor { instruction, path, lines, scope, json } => {
                let scope = match scope.as_deref() {
                    None if lines.is_some() => infill_ide::refactor::Scope::Selection,
                    None => infill_ide::refactor::Scope::File,
                    Some(name) => match infill_ide::refactor::Scope::from_name(name) {
                        Some(scope) => scope,
                        None => {
                            eprintln!(
                                "infill: unknown scope `{name}`: selection, file or workspace"
                            );
                            return Ok(false);
                        }
                    },
                };
                let selection = infill::refactor_cli::Selection { path, lines };
                infill::refactor_cli::refactor(&config, &instruction, &selection, scope, json)
                    .await
                    .map(|_| true)
            }
            Command::Action { kind, path, lines, json } => {
                let selection = infill::refactor_cli::Selection { path, lines };
                infill::refactor_cli::action(&config, &kind, &selection, json).await.map(|_| true)
            }
            Command::Model { command: ModelCommand::Fetch } => cli::model_fetch().map(|_| true),
            Command::Model { command: ModelCommand::Convert { input, output, target } } => {
                cli::model_convert(&input, &output, &target).map(|_| true)
            }
            Command::Doctor { context, kv_dtype, memory_gib } => {
                cli::doctor(&config, &DoctorOptions { context, kv_dtype, memory_gib })
            }
            Command::Serve { port, host, token_env } => {
                let options = infill::serve::ServeOptions { host, port, token_env };
                infill::serve::run(&config, &options).await.map(|_| true)
            }
            // Answered before the configuration loads.
            Command::Check(_) => Ok(true),
        }
    });
    // The engine's threads do not stop on their own; leave without waiting for them.
    runtime.shutdown_background();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("infill: {error:#}");
            ExitCode::FAILURE
        }
    }
}
