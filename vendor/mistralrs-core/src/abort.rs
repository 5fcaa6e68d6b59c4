//! Infill patch: stop a forward pass part-way when no one is waiting for its result.
//!
//! A sequence can otherwise only be cancelled between engine steps, and a prompt is one step: a
//! 2,000-token prompt kept a CPU busy for half a minute after its request was cancelled. While a
//! pipeline runs a forward pass it registers the response channels of the sequences in the batch
//! here; a model that supports it (`quantized_llama`) asks `forward_abandoned()` before each
//! layer, and when every channel is closed it drops the keys and values of the unfinished pass
//! from its cache and returns an error after calling `note_aborted()`. The pipeline then hands
//! the sequences the KV computed so far (whole prompt chunks), puts it in the prefix cache and
//! ends the sequences as cancelled, so the request that replaced them resumes from it.
//!
//! The registry is per thread: the pipeline and the model's layer loop run on the engine's thread.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc::Sender;

use crate::response::Response;

thread_local! {
    static WAITING: RefCell<Vec<Sender<Response>>> = const { RefCell::new(Vec::new()) };
    static ABORTED: Cell<bool> = const { Cell::new(false) };
}

static RELEASED: AtomicUsize = AtomicUsize::new(0);

/// Registers the batch's response channels for the duration of one forward pass.
pub(crate) struct ForwardWatch(());

impl ForwardWatch {
    pub(crate) fn new(responders: Vec<Sender<Response>>) -> Self {
        WAITING.with(|waiting| *waiting.borrow_mut() = responders);
        ABORTED.with(|aborted| aborted.set(false));
        ForwardWatch(())
    }
}

impl Drop for ForwardWatch {
    fn drop(&mut self) {
        WAITING.with(|waiting| waiting.borrow_mut().clear());
    }
}

/// The response channels registered on this thread, for a pass that continues on another thread
/// (see `run_on_pool`).
fn watched() -> Vec<Sender<Response>> {
    WAITING.with(|waiting| waiting.borrow().clone())
}

/// Runs a CPU forward pass on a worker of the global Rayon pool, carrying this thread's watch
/// over and the abort flag back.
///
/// A pass run from the engine's own thread hands every parallel operation (each quantized
/// product, attention, ...) to the pool from outside it: the engine thread queues the job, wakes
/// the workers and sleeps until they are done, two thread switches per operation, some 200 of
/// them per decoded token. Run on a worker, the pass splits each operation with the worker's
/// own deque: the worker computes its half while the other workers, still spinning from the
/// previous operation, take the rest. Nested calls (already on a worker) run in place.
pub fn run_on_pool<R: Send>(pass: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        return pass();
    }
    let watched = watched();
    let (result, aborted) = rayon::scope(move |_| {
        let _watch = ForwardWatch::new(watched);
        let result = pass();
        (result, take_aborted())
    });
    if aborted {
        note_aborted();
    }
    result
}

/// True while a forward pass runs on this thread for a batch whose every requester has gone.
pub fn forward_abandoned() -> bool {
    WAITING.with(|waiting| {
        let waiting = waiting.borrow();
        !waiting.is_empty() && waiting.iter().all(|sender| sender.is_closed())
    })
}

/// Called by a model that stopped its forward pass because `forward_abandoned()` said so.
pub fn note_aborted() {
    ABORTED.with(|aborted| aborted.set(true));
}

/// Whether the forward pass that just failed on this thread was stopped by `note_aborted()`.
pub(crate) fn take_aborted() -> bool {
    ABORTED.with(|aborted| aborted.replace(false))
}

/// Counts sequences freed because their requester went away.
pub(crate) fn note_released(n: usize) {
    RELEASED.fetch_add(n, Ordering::AcqRel);
}

/// How many sequences have been freed because their requester went away. A client that cancels
/// a request can wait for this to move before it submits the next one.
pub fn cancelled_sequences_released() -> usize {
    RELEASED.load(Ordering::Acquire)
}
