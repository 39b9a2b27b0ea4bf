//! Committing events on a background thread, with notice of when each is durable.
//!
//! A P2 serf answers a `%poke` only once its event is committed (Vere's
//! `u3_disk_plan` + `write_done_f`), but must not stop computing while LMDB
//! fsyncs. [`LogWriter`] owns the writable [`PierLog`] on a thread of its
//! own: [`LogWriter::append`] queues an event and returns at once; the thread
//! commits whatever has queued up in one transaction (up to
//! [`MAX_BATCH_EVENTS`] events or [`MAX_BATCH_BYTES`] bytes), then publishes
//! the new durable event number. A caller learns it by polling
//! [`Durability::durable`], blocking in [`Durability::wait_durable`] (from any
//! thread: `Durability` is a cheap clone), or by the callback given to
//! [`LogWriter::spawn_with`], run on the writer thread after each commit.
//!
//! A failed commit (disk full, I/O error) is final: nothing after the last
//! durable event is written, and every later call reports
//! [`LogError::WriterFailed`]. Rollover ([`LogWriter::roll`]) is queued behind
//! the events appended before it.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{LogError, PierLog};

/// Most events committed in one transaction.
pub const MAX_BATCH_EVENTS: usize = 1024;
/// A batch stops growing once its jam bytes reach this.
pub const MAX_BATCH_BYTES: usize = 64 << 20;

enum Command {
    Event {
        number: u64,
        mug: u32,
        jam: Vec<u8>,
    },
    Roll {
        snapshot: PathBuf,
        vere: String,
        reply: mpsc::Sender<Result<u64, LogError>>,
    },
}

#[derive(Debug)]
struct State {
    durable: u64,
    failed: Option<String>,
    stopped: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    dir: PathBuf,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn failure(&self, state: &State, detail: &str) -> LogError {
        LogError::WriterFailed {
            path: self.dir.clone(),
            durable: state.durable,
            detail: detail.to_string(),
        }
    }
}

/// Where the writer's commits have got to; cloneable, usable from any thread.
#[derive(Debug, Clone)]
pub struct Durability {
    shared: Arc<Shared>,
}

impl Durability {
    /// The last event known to be committed (fsync'd).
    pub fn durable(&self) -> u64 {
        self.shared.lock().durable
    }

    /// Block until event `n` is committed; returns the durable number
    /// (`>= n`). Fails if a commit fails first, or the writer stops first.
    pub fn wait_durable(&self, n: u64) -> Result<u64, LogError> {
        self.wait(n, None).map(|d| d.expect("no timeout"))
    }

    /// As [`Self::wait_durable`], giving up after `timeout` with `Ok(None)`.
    pub fn wait_durable_timeout(&self, n: u64, timeout: Duration) -> Result<Option<u64>, LogError> {
        self.wait(n, Some(Instant::now() + timeout))
    }

    fn wait(&self, n: u64, deadline: Option<Instant>) -> Result<Option<u64>, LogError> {
        let mut state = self.shared.lock();
        loop {
            if state.durable >= n {
                return Ok(Some(state.durable));
            }
            if let Some(why) = &state.failed {
                return Err(self.shared.failure(&state, why));
            }
            if state.stopped {
                return Err(self.shared.failure(
                    &state,
                    &format!("the writer stopped before event {n} was appended"),
                ));
            }
            state = match deadline {
                None => self
                    .shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(None);
                    }
                    self.shared
                        .changed
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}

/// A writable epoch-layout log committing on a background thread (see the
/// module docs).
pub struct LogWriter {
    shared: Arc<Shared>,
    tx: Option<mpsc::Sender<Command>>,
    thread: Option<JoinHandle<(PierLog, Option<LogError>)>>,
    planned: u64,
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter")
            .field("dir", &self.shared.dir)
            .field("planned", &self.planned)
            .field("durable", &self.shared.lock().durable)
            .finish()
    }
}

impl LogWriter {
    /// Start committing to `log`, which must be open for writing.
    pub fn spawn(log: PierLog) -> Result<LogWriter, LogError> {
        Self::spawn_with(log, |_| {})
    }

    /// As [`Self::spawn`], calling `on_durable(n)` on the writer thread after
    /// each commit that makes events up to `n` durable. It should be quick:
    /// the next commit waits for it.
    pub fn spawn_with<F>(log: PierLog, on_durable: F) -> Result<LogWriter, LogError>
    where
        F: FnMut(u64) + Send + 'static,
    {
        if !log.is_writable() {
            return Err(LogError::ReadOnly {
                path: log.dir().to_path_buf(),
            });
        }
        let last = log.last()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                durable: last,
                failed: None,
                stopped: false,
            }),
            changed: Condvar::new(),
            dir: log.dir().to_path_buf(),
        });
        let (tx, rx) = mpsc::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("eventlog-writer".into())
            .spawn(move || run(log, rx, thread_shared, on_durable))
            .map_err(|source| LogError::Io {
                path: shared.dir.clone(),
                source,
            })?;
        Ok(LogWriter {
            shared,
            tx: Some(tx),
            thread: Some(thread),
            planned: last,
        })
    }

    /// Queue event `number` (which must be [`Self::planned`] + 1) for
    /// committing; returns without waiting for the disk.
    pub fn append(&mut self, number: u64, mug: u32, jam: Vec<u8>) -> Result<(), LogError> {
        {
            let state = self.shared.lock();
            if let Some(why) = &state.failed {
                return Err(self.shared.failure(&state, why));
            }
        }
        if number == 0 {
            return Err(LogError::ZeroEvent {
                path: self.shared.dir.clone(),
            });
        }
        if Some(number) != self.planned.checked_add(1) {
            return Err(LogError::NotContiguous {
                path: self.shared.dir.clone(),
                expected: self.planned.saturating_add(1),
                got: number,
            });
        }
        self.send(Command::Event { number, mug, jam })?;
        self.planned = number;
        Ok(())
    }

    fn send(&self, cmd: Command) -> Result<(), LogError> {
        let sent = self.tx.as_ref().map(|tx| tx.send(cmd));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => {
                let state = self.shared.lock();
                Err(self.shared.failure(&state, "the writer thread is gone"))
            }
        }
    }

    /// The last event queued.
    pub fn planned(&self) -> u64 {
        self.planned
    }

    /// The last event committed.
    pub fn durable(&self) -> u64 {
        self.shared.lock().durable
    }

    /// A handle for learning of commits from other threads.
    pub fn durability(&self) -> Durability {
        Durability {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Block until event `n` is committed (see [`Durability::wait_durable`]).
    pub fn wait_durable(&self, n: u64) -> Result<u64, LogError> {
        if n > self.planned {
            let state = self.shared.lock();
            return Err(self.shared.failure(
                &state,
                &format!(
                    "event {n} was never appended (the last is {})",
                    self.planned
                ),
            ));
        }
        self.durability().wait_durable(n)
    }

    /// Block until everything queued is committed.
    pub fn sync(&self) -> Result<u64, LogError> {
        self.wait_durable(self.planned)
    }

    /// Commit everything queued, then roll over to a new epoch at the last
    /// event (see [`PierLog::roll`]); returns the new epoch's number.
    pub fn roll(&mut self, snapshot_dir: &Path, vere: &str) -> Result<u64, LogError> {
        let (reply, answer) = mpsc::channel();
        self.send(Command::Roll {
            snapshot: snapshot_dir.to_path_buf(),
            vere: vere.to_string(),
            reply,
        })?;
        answer.recv().unwrap_or_else(|_| {
            let state = self.shared.lock();
            Err(self.shared.failure(&state, "the writer thread is gone"))
        })
    }

    /// Commit everything queued, stop the thread and give the log back.
    /// Fails with the first commit error, if there was one.
    pub fn finish(mut self) -> Result<PierLog, LogError> {
        self.tx = None;
        let thread = self.thread.take().expect("joined only here and in drop");
        match thread.join() {
            Ok((log, None)) => Ok(log),
            Ok((_, Some(err))) => Err(err),
            Err(_) => {
                let state = self.shared.lock();
                Err(self.shared.failure(&state, "the writer thread panicked"))
            }
        }
    }
}

impl Drop for LogWriter {
    /// Commits what is queued and waits for the thread.
    fn drop(&mut self) {
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: batch, commit, publish, until the sender is dropped.
fn run<F: FnMut(u64)>(
    mut log: PierLog,
    rx: mpsc::Receiver<Command>,
    shared: Arc<Shared>,
    mut on_durable: F,
) -> (PierLog, Option<LogError>) {
    let mut error: Option<LogError> = None;
    let mut held: Option<Command> = None;
    while let Some(cmd) = held.take().or_else(|| rx.recv().ok()) {
        match cmd {
            Command::Roll {
                snapshot,
                vere,
                reply,
            } => {
                let result = match &error {
                    Some(e) => {
                        let state = shared.lock();
                        Err(shared.failure(&state, &e.to_string()))
                    }
                    None => log.roll(&snapshot, &vere),
                };
                let _ = reply.send(result);
            }
            Command::Event { number, mug, jam } => {
                let mut bytes = jam.len();
                let mut batch = vec![(number, mug, jam)];
                while batch.len() < MAX_BATCH_EVENTS && bytes < MAX_BATCH_BYTES {
                    match rx.try_recv() {
                        Ok(Command::Event { number, mug, jam }) => {
                            bytes += jam.len();
                            batch.push((number, mug, jam));
                        }
                        Ok(other) => {
                            held = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if error.is_some() {
                    continue; // nothing more is written after a failure
                }
                let last = batch.last().map_or(0, |e| e.0);
                let committed =
                    log.append_batch(batch.iter().map(|(n, m, j)| (*n, *m, j.as_slice())));
                let mut state = shared.lock();
                match committed {
                    Ok(_) => state.durable = last,
                    Err(e) => {
                        state.failed = Some(e.to_string());
                        error = Some(e);
                    }
                }
                drop(state);
                shared.changed.notify_all();
                if error.is_none() {
                    on_durable(last);
                }
            }
        }
    }
    shared.lock().stopped = true;
    shared.changed.notify_all();
    (log, error)
}
