//! What the serf does for a writ, whatever the protocol generation: boot, replay, compute (with the `%crud` retry),
//! scry, save, pack, meld — each a [`Kernel`] call, plus the serf's own diagnostics (verbose `%flog` lines, the trace
//! file). A generation's loop (`p1.rs`) decodes writs into these calls and encodes their outcomes as pleas.

use super::output::{flog, SharedOutput};
use super::trace::TraceFile;
use super::SerfArgs;
use crate::interpreter::{increment, Error, Mote};
use crate::kernel::Kernel;
use crate::noun::{list_iter, tas, Noun, Oom, D};
use crate::protocol::Goof;
use crate::serial::{cue_bytes, CueError};
use crate::snapshot::SnapshotError;

/// Why the serf must stop: a message for stderr, then exit 1.
pub struct Fatal(pub String);

impl From<Oom> for Fatal {
    fn from(_: Oom) -> Fatal {
        Fatal("out of memory in the root frame (the state no longer fits the loom)".into())
    }
}

impl From<SnapshotError> for Fatal {
    fn from(e: SnapshotError) -> Fatal {
        Fatal(e.to_string())
    }
}

/// How the `%crud` that replaces a failed event is dated.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CrudDate {
    /// One past the failed event's date (P1).
    Later,
    /// The failed event's own date (P2).
    Same,
}

/// The outcome of computing one new event.
pub enum Work {
    /// The event is the state's newest.
    Done { effects: Noun },
    /// The event failed, and its `%crud` event `crud` is the state's newest in its place.
    Swap { crud: Noun, effects: Noun },
    /// Nothing changed: the event failed with `dud`, and its `%crud` (if one was tried) with `crud`.
    Bail { dud: Goof, crud: Option<Goof> },
}

pub struct Serf {
    pub kernel: Kernel,
    pub out: SharedOutput,
    pub args: SerfArgs,
    trace: Option<TraceFile>,
}

impl Serf {
    pub fn new(
        kernel: Kernel,
        out: SharedOutput,
        args: SerfArgs,
        trace: Option<TraceFile>,
    ) -> Serf {
        Serf {
            kernel,
            out,
            args,
            trace,
        }
    }

    /// Send one plea noun.
    pub fn send(&mut self, plea: Noun) -> Result<(), Fatal> {
        self.out
            .borrow_mut()
            .send(plea)
            .map_err(|e| Fatal(format!("writing to the king: {e}")))
    }

    /// A `%flog` line when the verbose flag is set.
    pub fn verbose(&self, text: &str) {
        if self.args.flags.verbose() {
            flog(&self.out, text);
        }
    }

    /// Decode a writ body into the root frame (packing once and retrying if the frame is full).
    pub fn cue(&mut self, body: &[u8]) -> Result<Noun, Fatal> {
        let bad = |e: CueError| Fatal(format!("bad writ: cannot decode the frame body: {e}"));
        match cue_bytes(&mut self.kernel.ctx.stack, body) {
            Ok(n) => Ok(n),
            Err(CueError::Oom) => {
                self.kernel.pack()?;
                cue_bytes(&mut self.kernel.ctx.stack, body).map_err(bad)
            }
            Err(e) => Err(bad(e)),
        }
    }

    /// After a writ or an event: [`Kernel::settle`], reporting a collection of the root frame when verbose.
    pub fn settle(&mut self, pins: &mut dyn crate::stack::Roots) -> Result<(), Fatal> {
        let before = self.kernel.ctx.stack.frame_alloc_words();
        self.kernel.settle(pins)?;
        let after = self.kernel.ctx.stack.frame_alloc_words();
        if after < before {
            self.verbose(&format!(
                "mars: collected the root frame at event {}: {} KiB -> {} KiB",
                self.kernel.state().event,
                before * 8 / 1024,
                after * 8 / 1024
            ));
        }
        Ok(())
    }

    fn timed<T>(&mut self, name: &str, eve: u64, f: impl FnOnce(&mut Kernel) -> T) -> T {
        let t0 = self.trace.as_ref().map_or(0, |t| t.now_us());
        let r = f(&mut self.kernel);
        if let Some(t) = &mut self.trace {
            t.record(name, t0, eve);
        }
        r
    }

    /// The goof of a failure; without a kernel the trace goes to stderr, rendered entry by entry and at most
    /// [`crate::kernel::FAILURE_LINES`] lines (the tang is then `~`).
    fn goof(&mut self, e: Error) -> Goof {
        if !self.kernel.state().has_kernel() {
            let lines = self.kernel.trace_lines(e.trace);
            for line in crate::text::urbit::bound_lines(lines, crate::kernel::FAILURE_LINES) {
                eprint!("mars: trace: {line}\r\n");
            }
        }
        self.kernel.goof(e)
    }

    /// The first batch of a fresh serf: the lifecycle over the whole list.
    pub fn boot(&mut self, lit: Noun) -> Result<(), Goof> {
        let len = list_iter(lit).count() as u64;
        match self.timed("boot", len, |k| k.boot(lit)) {
            Ok(()) => {
                self.verbose(&format!(
                    "mars: boot: {len} events, kernel mug {:#x}",
                    self.kernel.state().mug
                ));
                Ok(())
            }
            Err(e) => {
                eprint!("mars: boot: the lifecycle failed: {}\r\n", e.mote);
                Err(self.goof(e))
            }
        }
    }

    /// Replay the events of `lit` one by one, settling after each; stops at the first failure.
    pub fn replay(&mut self, lit: Noun) -> Result<Result<(), Goof>, Fatal> {
        let mut rest = lit;
        while let Some(c) = rest.as_cell() {
            let job = c.head();
            rest = c.tail();
            let eve = self.kernel.state().event + 1;
            match self.timed("play", eve, |k| k.poke(0, job)) {
                Ok(_effects) => self.settle(&mut rest)?,
                Err(e) => {
                    self.verbose(&format!("mars: play: event {eve} failed: {}", e.mote));
                    return Ok(Err(self.goof(e)));
                }
            }
        }
        Ok(Ok(()))
    }

    /// Compute the new event `job = [now ovum]`; if it fails (but not with `%evil`), compute its `%crud` instead.
    pub fn work(&mut self, mil: u64, job: Noun, date: CrudDate) -> Result<Work, Fatal> {
        let eve = self.kernel.state().event + 1;
        let hits = self.kernel.ctx.stats.jet_hits;
        let work = self.compute(mil, job, date, eve)?;
        // Jets that ran, for checking that a restarted serf has its jets (tests/jets_restart.rs).
        self.verbose(&format!(
            "mars: work: event {eve}: {} jet hits",
            self.kernel.ctx.stats.jet_hits - hits
        ));
        Ok(work)
    }

    fn compute(&mut self, mil: u64, job: Noun, date: CrudDate, eve: u64) -> Result<Work, Fatal> {
        let dud = match self.timed("work", eve, |k| k.poke(mil, job)) {
            Ok(effects) => return Ok(Work::Done { effects }),
            Err(e) if e.mote == Mote::Evil => {
                self.verbose(&format!("mars: work: event {eve}: %evil"));
                // No trace, no crud.
                let dud = Goof {
                    mote: tas("evil"),
                    tang: D(0),
                };
                return Ok(Work::Bail { dud, crud: None });
            }
            Err(e) => {
                self.verbose(&format!(
                    "mars: work: event {eve} failed with {}; trying %crud",
                    e.mote
                ));
                self.goof(e)
            }
        };
        let c = job
            .as_cell()
            .expect("a %work job is a cell (checked when decoded)");
        let (now, ovum) = (c.head(), c.tail());
        let crud_date = match date {
            CrudDate::Same => now,
            CrudDate::Later => match increment(&mut self.kernel.ctx.stack, now) {
                Ok(later) => later,
                // `now` is not an atom, so no crud can be dated: report the original failure alone.
                Err(_) => return Ok(Work::Bail { dud, crud: None }),
            },
        };
        let crud = self.kernel.crud(crud_date, dud, ovum)?;
        match self.timed("crud", eve, |k| k.poke(mil, crud)) {
            Ok(effects) => Ok(Work::Swap { crud, effects }),
            Err(e) => {
                self.verbose(&format!(
                    "mars: work: event {eve}: %crud failed too: {}",
                    e.mote
                ));
                let dud2 = self.goof(e);
                Ok(Work::Bail {
                    dud,
                    crud: Some(dud2),
                })
            }
        }
    }

    /// Scry the kernel.
    pub fn peek(&mut self, mil: u64, sam: Noun) -> Result<Noun, Goof> {
        let eve = self.kernel.state().event;
        match self.timed("peek", eve, |k| k.peek(mil, sam)) {
            Ok(res) => Ok(res),
            Err(e) => {
                self.verbose(&format!("mars: peek failed: {}", e.mote));
                Err(self.goof(e))
            }
        }
    }

    pub fn save(&mut self) -> Result<(), Fatal> {
        self.kernel
            .save()
            .map_err(|e| Fatal(format!("save: {e}")))?;
        self.verbose(&format!("mars: saved event {}", self.kernel.state().event));
        Ok(())
    }

    /// Write a rock, then save.
    pub fn cram(&mut self) -> Result<(), Fatal> {
        let pier = self.args.pier.clone();
        let path = self
            .kernel
            .cram(&pier)
            .map_err(|e| Fatal(format!("cram: {e}")))?;
        self.verbose(&format!("mars: cram: wrote {}", path.display()));
        self.verbose(&format!("mars: saved event {}", self.kernel.state().event));
        Ok(())
    }

    pub fn pack(&mut self) -> Result<(), Fatal> {
        self.kernel.pack()?;
        self.verbose(&format!(
            "mars: pack: {} KiB live in the root frame",
            self.kernel.ctx.stack.frame_alloc_words() * 8 / 1024
        ));
        Ok(())
    }

    pub fn meld(&mut self) -> Result<(), Fatal> {
        self.kernel.meld()?;
        self.verbose("mars: meld: done");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::new_context;
    use crate::noun::{list, Noun, T};
    use crate::snapshot::MemorySnapshot;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A serf whose kernel's `+poke` (arm 23) crashes unless the card is a `%crud`, which it accepts: `[~ kernel]`.
    fn serf() -> Serf {
        let mut k = Kernel::new(
            new_context(16 << 20, 100).unwrap(),
            Box::new(MemorySnapshot::new()),
        );
        let st = &mut k.ctx.stack;
        let t = |st: &mut crate::stack::NockStack, xs: &[Noun]| T(st, xs).unwrap();
        // Gate body against [body [[now [wire card]] kernel]]: the card's tag is at 54, the kernel at 7.
        let tag = t(st, &[D(0), D(54)]);
        let crud = t(st, &[D(1), tas("crud")]);
        let is_crud = t(st, &[D(5), crud, tag]);
        let nil = t(st, &[D(1), D(0)]);
        let kernel = t(st, &[D(0), D(7)]);
        let accept = t(st, &[nil, kernel]);
        let crash = t(st, &[D(0), D(0)]);
        let body = t(st, &[D(6), is_crud, accept, crash]);
        let arm = {
            let kb = t(st, &[D(1), body]);
            let sample = t(st, &[D(1), D(0)]);
            let context = t(st, &[D(0), D(1)]);
            t(st, &[kb, sample, context])
        };
        let battery = t(st, &[D(0), D(0), D(0), arm]);
        let core = t(st, &[battery, D(0)]);
        let product = t(st, &[D(0), D(0), core]);
        let larva = t(st, &[D(1), product]);
        let lit = list(st, &[larva]).unwrap();
        k.boot(lit).unwrap();
        let pier = std::env::temp_dir();
        let argv: Vec<String> = [pier.to_str().unwrap(), "0:0:0:0", "0", "100", "24", "0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let args = super::super::args::parse(&argv).unwrap();
        let out = std::fs::File::create("/dev/null").unwrap();
        let out = Rc::new(RefCell::new(super::super::output::Output::new(out)));
        Serf::new(k, out, args, None)
    }

    fn job(serf: &mut Serf, now: Noun) -> Noun {
        let st = &mut serf.kernel.ctx.stack;
        let wire = T(st, &[tas("w"), D(0)]).unwrap();
        T(st, &[now, wire, tas("x"), D(0)]).unwrap()
    }

    /// The date of a swapped-in `%crud`: one past the event's in P1, the event's own in P2.
    #[test]
    fn a_failed_event_is_replaced_by_its_crud_dated_as_the_generation_says() {
        for (date, want) in [(CrudDate::Later, 6), (CrudDate::Same, 5)] {
            let mut s = serf();
            let j = job(&mut s, D(5));
            match s.work(0, j, date).ok().unwrap() {
                Work::Swap { crud, .. } => {
                    assert_eq!(crud.head(), Some(D(want)), "{date:?}");
                    let card = crud.tail().and_then(|o| o.tail()).unwrap();
                    assert_eq!(card.head(), Some(tas("crud")));
                }
                _ => panic!("{date:?}: expected a swap"),
            }
            assert_eq!(s.kernel.state().event, 2, "the crud is the new event");
        }
    }

    /// A job whose date is not an atom gives no date for a crud one later: the original failure alone.
    #[test]
    fn an_undatable_failure_bails_alone() {
        let mut s = serf();
        let now = T(&mut s.kernel.ctx.stack, &[D(1), D(2)]).unwrap();
        let j = job(&mut s, now);
        match s.work(0, j, CrudDate::Later).ok().unwrap() {
            Work::Bail { dud, crud: None } => assert_eq!(dud.mote, tas("exit")),
            _ => panic!("expected a bail with one goof"),
        }
        assert_eq!(s.kernel.state().event, 1, "nothing changed");
    }
}
