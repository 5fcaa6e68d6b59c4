//! The refactor agent's machinery on every task of `tests/refactor/tasks/`: a scripted model
//! answers the agent's protocol from each task's expected texts, so the agent itself (candidate
//! files from the graph, anchoring, verification, rename checks) must turn the task's files
//! into exactly the expected texts. A task marked `known_failure` must still fail, so that a
//! fix in the agent is noticed and the mark removed.

#[path = "../examples/refactor_bench/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::Path;

use harness::{Task, judge, load_tasks, oracle_engine, replacement_blocks, run_task};
use infill_ide::actions::ActionSettings;
use infill_ide::actions::output::{FileAnswer, anchor, parse_replacements};
use infill_ide::edit::apply;
use infill_syntax::LanguageRegistry;

fn tasks() -> Vec<Task> {
    load_tasks(&harness::default_tasks_dir()).expect("the tasks load")
}

#[test]
fn the_tasks_are_many_varied_and_parse() {
    let tasks = tasks();
    assert!(tasks.len() >= 20, "{} tasks", tasks.len());
    let mut languages: Vec<String> = tasks.iter().map(Task::language).collect();
    languages.sort();
    languages.dedup();
    for language in ["python", "javascript", "typescript", "rust", "go"] {
        assert!(languages.iter().any(|l| l == language), "no {language} task: {languages:?}");
    }
    let multi_file = tasks.iter().filter(|task| task.changed().count() >= 2).count();
    assert!(multi_file * 2 > tasks.len(), "most tasks change several files ({multi_file})");
    let registry = LanguageRegistry::builtin();
    for task in &tasks {
        for file in &task.files {
            let Some(language) = registry.for_path(Path::new(&file.path)) else { continue };
            for (which, text) in [("before", &file.before), ("after", &file.after)] {
                let tree = infill_syntax::parse(&language, text).expect("a grammar");
                assert!(
                    !tree.root_node().has_error(),
                    "{}: the {which} text of {} does not parse",
                    task.name,
                    file.path
                );
            }
        }
    }
}

/// The scripted model's answers are faithful: its blocks, read and anchored as the agent reads
/// them, turn every `before` into its `after`.
#[test]
fn the_scripted_answers_reproduce_the_expected_texts() {
    for task in tasks() {
        for file in task.changed() {
            let answer = replacement_blocks(&file.before, &file.after);
            let FileAnswer::Replacements(blocks) = parse_replacements(&answer).unwrap() else {
                panic!("{}: no blocks for {}", task.name, file.path)
            };
            let edits = anchor(&file.before, &blocks)
                .unwrap_or_else(|error| panic!("{}: {}: {error}\n{answer}", task.name, file.path));
            assert_eq!(apply(&file.before, &edits), file.after, "{}: {}", task.name, file.path);
        }
    }
}

#[test]
fn blocks_carry_just_enough_context() {
    let before = "a = 1\nb = 2\na = 1\nc = 3\n";
    let after = "a = 1\nb = 2\na = 10\nc = 3\n";
    // `a = 1` occurs twice: the block takes the next line along.
    let answer = replacement_blocks(before, after);
    assert_eq!(answer, "<<<<<<< SEARCH\na = 1\nc = 3\n=======\na = 10\nc = 3\n>>>>>>> REPLACE\n");
    // Two separate changes, two blocks; a deletion has an empty replacement.
    let answer = replacement_blocks("x\ny\nz\nw\n", "X\ny\nz\n");
    assert_eq!(
        answer,
        "<<<<<<< SEARCH\nx\n=======\nX\n>>>>>>> REPLACE\n<<<<<<< SEARCH\nw\n=======\n>>>>>>> REPLACE\n"
    );
}

#[tokio::test]
async fn the_agent_carries_out_every_task_with_a_faithful_model() {
    let settings = ActionSettings { max_tokens: 1 << 16, ..ActionSettings::default() };
    let mut failures = Vec::new();
    let mut fixed = Vec::new();
    for task in tasks() {
        let run =
            run_task(&task, oracle_engine(&task), settings.clone()).await.expect("the task runs");
        let verdict = judge(&task, &run);
        match (&task.known_failure, verdict.correct) {
            (None, true) => {}
            (None, false) => failures.push(format!(
                "{}: {} (steps: {:?})",
                task.name,
                verdict.problem.unwrap_or_default(),
                run.steps
            )),
            (Some(_), false) => {}
            (Some(reason), true) => {
                fixed.push(format!("{}: known failure `{reason}` now passes", task.name))
            }
        }
    }
    assert!(failures.is_empty(), "tasks the agent got wrong:\n{}", failures.join("\n"));
    assert!(fixed.is_empty(), "remove the `known_failure` marks:\n{}", fixed.join("\n"));
}
