//! The serf's state machine (king-protocol.md §8.1): read a writ, act on it, reply, repeat.
//!
//! Writs are decoded into the NockStack's root frame, and so are replies; both are garbage once the reply is sent.
//! The [`Snapshot`] is told after every event and every writ, and collects the root frame when it has grown.

use super::arvo::{self, Formulas};
use super::output::{flog, SharedOutput};
use super::rock;
use super::trace::TraceFile;
use super::SerfArgs;
use crate::interpreter::{increment, Context, Error, Mote};
use crate::mug::mug;
use crate::noun::{list_iter, tas, Noun, Oom, D, T};
use crate::protocol::newt::{FrameError, NewtReader};
use crate::protocol::p1::{Live, PeekReply, PlayReply, Plea, WorkReply, Writ};
use crate::protocol::Goof;
use crate::serial::cue_bytes;
use crate::snapshot::{SerfState, Snapshot};
use std::io::Read;

/// Why the serf must stop: a message for stderr, then exit 1.
pub struct Fatal(pub String);

impl From<Oom> for Fatal {
    fn from(_: Oom) -> Fatal {
        Fatal("out of memory in the root frame (the state no longer fits the loom)".into())
    }
}

/// What to do after a writ.
enum Next {
    Continue,
    Exit(u8),
}

pub struct Serf {
    pub ctx: Context,
    pub state: SerfState,
    pub snap: Box<dyn Snapshot>,
    pub out: SharedOutput,
    pub f: Formulas,
    pub args: SerfArgs,
    pub trace: Option<TraceFile>,
    /// Jet registrations already written into `state.cold`.
    pub cold_registered: usize,
    /// `state.cold` was rewritten and the dashboard has not yet been pointed at its moved copy.
    pub cold_unsettled: bool,
}

impl Serf {
    /// Send `%ripe`, then serve writs from `input` until `%exit` (returns its code) or a fatal error (returns 1).
    pub fn run<R: Read>(&mut self, input: R) -> i32 {
        match self.serve(input) {
            Ok(code) => code as i32,
            Err(Fatal(msg)) => {
                eprint!("mars: {msg}\r\n");
                1
            }
        }
    }

    fn serve<R: Read>(&mut self, input: R) -> Result<u8, Fatal> {
        self.reply(Plea::Ripe {
            hon: super::HOON_KELVIN,
            nok: super::NOCK_KELVIN,
            eve: self.state.event,
            mug: self.state.mug,
        })?;
        let mut reader = NewtReader::new(input);
        loop {
            let body = match reader.read_frame() {
                Ok(b) => b,
                Err(FrameError::Eof) => {
                    return Err(Fatal(
                        "the king closed the protocol pipe (end of input); exiting".into(),
                    ))
                }
                Err(e) => return Err(Fatal(e.to_string())),
            };
            let noun = self.cue(&body)?;
            let w = Writ::decode(noun).map_err(|e| Fatal(format!("bad writ: {e}")))?;
            match self.handle(w)? {
                Next::Continue => {}
                Next::Exit(code) => return Ok(code),
            }
            self.maintain(&mut ())?;
        }
    }

    /// Decode a writ body into the root frame (collecting once and retrying if the frame is full).
    fn cue(&mut self, body: &[u8]) -> Result<Noun, Fatal> {
        match cue_bytes(&mut self.ctx.stack, body) {
            Ok(n) => Ok(n),
            Err(crate::serial::CueError::Oom) => {
                self.snap.collect(&mut self.ctx, &mut self.state)?;
                cue_bytes(&mut self.ctx.stack, body)
                    .map_err(|e| Fatal(format!("bad writ: cannot decode the frame body: {e}")))
            }
            Err(e) => Err(Fatal(format!(
                "bad writ: cannot decode the frame body: {e}"
            ))),
        }
    }

    fn reply(&mut self, p: Plea) -> Result<(), Fatal> {
        let n = p.encode(&mut self.ctx.stack)?;
        self.out
            .borrow_mut()
            .send(n)
            .map_err(|e| Fatal(format!("writing to the king: {e}")))
    }

    /// Let the snapshot see the state (and collect the root frame if it has grown).
    fn maintain(&mut self, pins: &mut dyn crate::stack::Roots) -> Result<(), Fatal> {
        // The jet cold state is part of the state (persisted with the kernel): refresh it when cores were registered.
        let registered = self.ctx.jets.registered();
        let cold_changed = registered != self.cold_registered && self.ctx.stack.depth() == 0;
        if cold_changed {
            self.state.cold = self.ctx.jets.cold_noun(&mut self.ctx.stack)?;
            self.cold_registered = registered;
            self.cold_unsettled = true;
        }
        let before = self.ctx.stack.frame_alloc_words();
        self.snap
            .extract(&mut self.ctx, &mut self.state, pins)
            .map_err(Fatal::from)?;
        // If the store moved the state out of the stack, the dashboard must follow the batteries it registered.
        if self.cold_unsettled
            && !(self.state.cold.is_allocated() && self.ctx.stack.in_stack(self.state.cold.addr()))
        {
            let cold = self.state.cold;
            self.ctx.jets.reload(&self.ctx.stack, cold);
            self.cold_unsettled = false;
        }
        let after = self.ctx.stack.frame_alloc_words();
        if after < before {
            self.verbose(&format!(
                "mars: collected the root frame at event {}: {} KiB -> {} KiB",
                self.state.event,
                before * 8 / 1024,
                after * 8 / 1024
            ));
        }
        Ok(())
    }

    fn verbose(&self, text: &str) {
        if self.args.flags.verbose() {
            flog(&self.out, text);
        }
    }

    fn trace_start(&self) -> u64 {
        self.trace.as_ref().map_or(0, |t| t.now_us())
    }

    fn trace_end(&mut self, name: &str, t0: u64, eve: u64) {
        if let Some(t) = &mut self.trace {
            t.record(name, t0, eve);
        }
    }

    fn handle(&mut self, w: Writ) -> Result<Next, Fatal> {
        match w {
            Writ::Live(l) => self.live(l),
            Writ::Peek { mil, sam } => {
                self.peek(mil, sam)?;
                Ok(Next::Continue)
            }
            Writ::Play { eve, lit } => {
                self.play(eve, lit)?;
                Ok(Next::Continue)
            }
            Writ::Work { mil, job } => {
                self.work(mil, job)?;
                Ok(Next::Continue)
            }
        }
    }

    /// `[mote tang]` for a failure; the tang is rendered by the kernel's `+mook` when there is a kernel.
    fn goof(&mut self, e: Error) -> Result<Goof, Fatal> {
        let tang = if self.state.has_kernel() {
            let kernel = self.state.kernel;
            arvo::render_trace(&mut self.ctx, &self.f, kernel, e.trace)
        } else {
            for line in arvo::render_trace_lines(&mut self.ctx, e.trace) {
                eprint!("mars: trace: {line}\r\n");
            }
            Noun::ZERO
        };
        Ok(Goof {
            mote: e.mote.to_noun(),
            tang,
        })
    }

    /// Adopt `kernel` as the state after one more event.
    fn advance(&mut self, kernel: Noun) {
        self.state.event += 1;
        self.state.kernel = kernel;
        self.state.mug = mug(kernel);
    }

    fn live(&mut self, l: Live) -> Result<Next, Fatal> {
        match l {
            Live::Exit(code) => return Ok(Next::Exit(code)),
            Live::Save(eve) | Live::Cram(eve) => {
                if eve != self.state.event {
                    return Err(Fatal(format!(
                        "bad writ: asked to {} at event {eve}, but the serf is at event {}",
                        if matches!(l, Live::Save(_)) {
                            "save"
                        } else {
                            "cram"
                        },
                        self.state.event
                    )));
                }
                if let Live::Cram(_) = l {
                    let path = rock::write_rock(&self.args.pier, eve, self.state.kernel)
                        .map_err(|e| Fatal(format!("cram: {e}")))?;
                    self.verbose(&format!("mars: cram: wrote {}", path.display()));
                }
                let state = self.state;
                self.snap
                    .commit(&mut self.ctx, &state)
                    .map_err(|e| Fatal(format!("save: {e}")))?;
                self.verbose(&format!("mars: saved event {eve}"));
            }
            Live::Meld => {
                self.snap.meld(&mut self.ctx, &mut self.state)?;
                self.verbose("mars: meld: done");
            }
            Live::Pack => {
                self.snap.collect(&mut self.ctx, &mut self.state)?;
                self.verbose(&format!(
                    "mars: pack: {} KiB live in the root frame",
                    self.ctx.stack.frame_alloc_words() * 8 / 1024
                ));
            }
        }
        self.reply(Plea::Live)?;
        Ok(Next::Continue)
    }

    fn peek(&mut self, mil: u64, sam: Noun) -> Result<(), Fatal> {
        if !self.state.has_kernel() {
            return Err(Fatal("bad writ: %peek before the boot sequence".into()));
        }
        let t0 = self.trace_start();
        let kernel = self.state.kernel;
        let r = arvo::peek(&mut self.ctx, &self.f, mil, kernel, sam);
        self.trace_end("peek", t0, self.state.event);
        let reply = match r {
            Ok(res) => PeekReply::Done(res),
            Err(e) => {
                self.verbose(&format!("mars: peek failed: {}", e.mote));
                PeekReply::Bail(self.goof(e)?)
            }
        };
        self.reply(Plea::Peek(reply))
    }

    fn play(&mut self, eve: u64, lit: Noun) -> Result<(), Fatal> {
        if eve != self.state.event + 1 {
            return Err(Fatal(format!(
                "bad writ: %play starts at event {eve}, but the serf is at event {} (expected {})",
                self.state.event,
                self.state.event + 1
            )));
        }
        if !self.state.has_kernel() {
            return self.boot(lit);
        }
        let mut rest = lit;
        while let Some(c) = rest.as_cell() {
            let job = c.head();
            rest = c.tail();
            let t0 = self.trace_start();
            let kernel = self.state.kernel;
            let r = arvo::poke(&mut self.ctx, &self.f, 0, kernel, job);
            self.trace_end("play", t0, self.state.event + 1);
            match r {
                Ok((_fec, k)) => {
                    self.advance(k);
                    self.maintain(&mut rest)?;
                }
                Err(e) => {
                    self.verbose(&format!(
                        "mars: play: event {} failed: {}",
                        self.state.event + 1,
                        e.mote
                    ));
                    let goof = self.goof(e)?;
                    return self.reply(Plea::Play(PlayReply::Bail {
                        eve: self.state.event,
                        mug: self.state.mug,
                        goof,
                    }));
                }
            }
        }
        self.reply(Plea::Play(PlayReply::Done {
            mug: self.state.mug,
        }))
    }

    /// The first `%play` batch of a fresh serf: the lifecycle over the whole list.
    fn boot(&mut self, lit: Noun) -> Result<(), Fatal> {
        let len = list_iter(lit).count() as u64;
        let t0 = self.trace_start();
        let r = arvo::lifecycle(&mut self.ctx, &self.f, lit);
        self.trace_end("boot", t0, len);
        match r {
            Ok(kernel) => {
                self.state = SerfState {
                    event: len,
                    kernel,
                    cold: self.state.cold,
                    mug: mug(kernel),
                };
                self.verbose(&format!(
                    "mars: boot: {len} events, kernel mug {:#x}",
                    self.state.mug
                ));
                self.reply(Plea::Play(PlayReply::Done {
                    mug: self.state.mug,
                }))
            }
            Err(e) => {
                eprint!("mars: boot: the lifecycle failed: {}\r\n", e.mote);
                let goof = self.goof(e)?;
                self.reply(Plea::Play(PlayReply::Bail {
                    eve: 0,
                    mug: 0,
                    goof,
                }))
            }
        }
    }

    fn work(&mut self, mil: u64, job: Noun) -> Result<(), Fatal> {
        if !self.state.has_kernel() {
            return Err(Fatal("bad writ: %work before the boot sequence".into()));
        }
        let eve = self.state.event + 1;
        let t0 = self.trace_start();
        let kernel = self.state.kernel;
        let first = arvo::poke(&mut self.ctx, &self.f, mil, kernel, job);
        self.trace_end("work", t0, eve);
        let dud = match first {
            Ok((fec, k)) => {
                self.advance(k);
                return self.reply(Plea::Work(WorkReply::Done {
                    eve,
                    mug: self.state.mug,
                    effects: fec,
                }));
            }
            Err(e) if e.mote == Mote::Evil => {
                self.verbose(&format!("mars: work: event {eve}: %evil"));
                // [%work %bail [[%evil ~] ~]]: no trace, no crud.
                let goof = Goof {
                    mote: tas("evil"),
                    tang: D(0),
                };
                return self.reply(Plea::Work(WorkReply::Bail { goofs: vec![goof] }));
            }
            Err(e) => {
                self.verbose(&format!(
                    "mars: work: event {eve} failed with {}; trying %crud",
                    e.mote
                ));
                self.goof(e)?
            }
        };
        // crud = [now+1 [//arvo [%crud dud ovum]]]
        let c = job
            .as_cell()
            .expect("a %work job is a cell (checked when parsed)");
        let (now, ovum) = (c.head(), c.tail());
        let Ok(later) = increment(&mut self.ctx.stack, now) else {
            // `now` is not an atom, so no crud can be dated: report the original failure alone.
            return self.reply(Plea::Work(WorkReply::Bail { goofs: vec![dud] }));
        };
        let dud_noun = dud.encode(&mut self.ctx.stack)?;
        let card = T(&mut self.ctx.stack, &[tas("crud"), dud_noun, ovum])?;
        let crud = T(&mut self.ctx.stack, &[later, self.f.arvo_wire, card])?;
        let t0 = self.trace_start();
        let kernel = self.state.kernel;
        let second = arvo::poke(&mut self.ctx, &self.f, mil, kernel, crud);
        self.trace_end("crud", t0, eve);
        match second {
            Ok((fec, k)) => {
                self.advance(k);
                self.reply(Plea::Work(WorkReply::Swap {
                    eve,
                    mug: self.state.mug,
                    job: crud,
                    effects: fec,
                }))
            }
            Err(e2) => {
                self.verbose(&format!(
                    "mars: work: event {eve}: %crud failed too: {}",
                    e2.mote
                ));
                let dud2 = self.goof(e2)?;
                self.reply(Plea::Work(WorkReply::Bail {
                    goofs: vec![dud2, dud],
                }))
            }
        }
    }
}
