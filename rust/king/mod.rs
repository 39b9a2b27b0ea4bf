//! A test king: the parts of Vere's P1 king that drive a serf, without the I/O drivers.
//!
//! [`King`] keeps an in-memory event log (event `n` is `log[n - 1]`), boots a pill by assembling the boot sequence as
//! the P1 king does and sending it as the first `%play` batch, computes new events with `%work` (logging the `%crud`
//! event instead of the original on `%swap`), and after a restart replays the log from the serf's snapshot in batches
//! of at most 500 events. Every reply is checked by [`driver::SerfProcess`].
//!
//! [`p2`] is the king's side of protocol P2 (Vere 4.x): there the serf owns the log and assembles the boot
//! sequence, so the king only spawns `mars boot --snap-dir` with a boot frame and `mars work --snap-dir`, and
//! checks the replies.

pub mod cards;
pub mod date;
pub mod driver;
pub mod p2;
pub mod pill;
pub mod test_pill;

pub use driver::{
    Chatter, DriverError, Goof, PeekReply, PlayReply, SerfProcess, SpawnOptions, WorkReply,
};
pub use pill::{boot_sequence, parse_pill, BootOptions, Pill};

use crate::noun::{Atom, HeapAlloc, Noun, T};

/// Largest `%play` batch after the first (the P1 king's limit).
pub const PLAY_BATCH: usize = 500;

pub struct King {
    /// Where every noun the king builds or receives lives.
    pub heap: HeapAlloc,
    /// The event log.
    pub log: Vec<Noun>,
    pub opts: SpawnOptions,
    pub serf: Option<SerfProcess>,
    pub chatter: Chatter,
    /// The last `@da` used, so that event dates strictly increase.
    last_now: u128,
}

fn no_serf() -> DriverError {
    DriverError("no serf running".into())
}

impl King {
    /// Spawn a serf on `opts.pier`.
    pub fn start(opts: SpawnOptions, chatter: Chatter) -> Result<King, DriverError> {
        let serf = SerfProcess::spawn(&opts, chatter)?;
        Ok(King {
            heap: HeapAlloc::new(),
            log: Vec::new(),
            opts,
            serf: Some(serf),
            chatter,
            last_now: 0,
        })
    }

    pub fn serf(&mut self) -> Result<&mut SerfProcess, DriverError> {
        self.serf.as_mut().ok_or_else(no_serf)
    }

    /// The serf's current event number.
    pub fn event(&self) -> u64 {
        self.serf.as_ref().map_or(0, |s| s.event)
    }

    /// Boot: write the boot sequence to the log and play it as one batch (the lifecycle consumes all of it). The
    /// pill's nouns end up in the log, so they must live in [`King::heap`] (parse the pill into it).
    pub fn boot(&mut self, pill: &Pill, o: &BootOptions) -> Result<PlayReply, DriverError> {
        if !self.log.is_empty() || self.event() != 0 {
            return Err(DriverError("boot: the pier is not empty".into()));
        }
        let events = boot_sequence(&mut self.heap, pill, o)
            .map_err(|_| DriverError("out of memory".into()))?;
        self.last_now = o.now + ((events.len() as u128) << 48);
        self.log = events.clone();
        let serf = self.serf.as_mut().ok_or_else(no_serf)?;
        serf.play(&mut self.heap, &events)
    }

    /// Replay the logged events the serf does not have, in batches; returns the last `%play %done` mug.
    pub fn replay(&mut self) -> Result<Option<u32>, DriverError> {
        let mut last = None;
        loop {
            let serf = self.serf.as_mut().ok_or_else(no_serf)?;
            let from = serf.event as usize;
            if from > self.log.len() {
                return Err(DriverError(format!(
                    "the serf is at event {from}, beyond the log's end {}",
                    self.log.len()
                )));
            }
            if from == self.log.len() {
                return Ok(last);
            }
            // From scratch the P1 king's first batch is one longer (its off-by-one); the lifecycle takes all of it.
            let batch = if from == 0 {
                PLAY_BATCH + 1
            } else {
                PLAY_BATCH
            };
            let to = (from + batch).min(self.log.len());
            match serf.play(&mut self.heap, &self.log[from..to])? {
                PlayReply::Done { mug } => last = Some(mug),
                PlayReply::Bail { eve, goof, .. } => {
                    return Err(DriverError(format!(
                        "replay failed after event {eve}: {}",
                        goof.mote_name()
                    )))
                }
            }
        }
    }

    /// A fresh `@da` for a new event: the wall clock, or just after the previous event's date.
    pub fn now(&mut self) -> u128 {
        let t = date::now_da().max(self.last_now + (1 << 48));
        self.last_now = t;
        t
    }

    /// Compute a new event `[now ovum]` with `%work`, logging what the serf committed.
    pub fn work(&mut self, mil: u64, ovum: Noun) -> Result<WorkReply, DriverError> {
        let now = self.now();
        let now = Atom::from_u128(&mut self.heap, now)
            .map_err(|_| DriverError("out of memory".into()))?
            .as_noun();
        let job =
            T(&mut self.heap, &[now, ovum]).map_err(|_| DriverError("out of memory".into()))?;
        let serf = self.serf.as_mut().ok_or_else(no_serf)?;
        let r = serf.work(&mut self.heap, mil, job)?;
        match &r {
            WorkReply::Done { .. } => self.log.push(job),
            WorkReply::Swap { job: crud, .. } => self.log.push(*crud),
            WorkReply::Bail { .. } => {}
        }
        Ok(r)
    }

    pub fn peek(&mut self, mil: u64, sam: Noun) -> Result<PeekReply, DriverError> {
        let serf = self.serf.as_mut().ok_or_else(no_serf)?;
        serf.peek(&mut self.heap, mil, sam)
    }

    pub fn save(&mut self) -> Result<(), DriverError> {
        let serf = self.serf.as_mut().ok_or_else(no_serf)?;
        serf.save(&mut self.heap)
    }

    /// `%save` then `%exit`, as the king shuts down.
    pub fn shutdown(&mut self) -> Result<std::process::ExitStatus, DriverError> {
        self.save()?;
        let serf = self.serf.take().ok_or_else(no_serf)?;
        serf.exit(&mut self.heap)
    }

    /// SIGKILL the serf.
    pub fn kill(&mut self) {
        if let Some(s) = self.serf.take() {
            s.kill();
        }
    }

    /// Spawn a new serf on the same pier (after `kill` or `shutdown`); returns its `%ripe` event and mug.
    pub fn restart(&mut self) -> Result<(u64, u32), DriverError> {
        self.kill();
        let serf = SerfProcess::spawn(&self.opts, self.chatter)?;
        let r = (serf.event, serf.mug);
        if serf.event as usize > self.log.len() {
            return Err(DriverError(format!(
                "the serf's snapshot is at event {}, beyond the log's end {}",
                serf.event,
                self.log.len()
            )));
        }
        self.serf = Some(serf);
        Ok(r)
    }
}

impl Drop for King {
    fn drop(&mut self) {
        self.kill();
    }
}
