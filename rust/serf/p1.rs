//! The serf's loop for protocol P1 (king-protocol.md §3, §8.1): send `%ripe`, then read a writ, act on it, reply,
//! settle, repeat.
//!
//! Writs are decoded into the NockStack's root frame, and so are replies; both are garbage once the reply is sent
//! and the kernel has settled.

use super::ops::{CrudDate, Fatal, Serf, Work};
use crate::protocol::newt::{FrameError, NewtReader};
use crate::protocol::p1::{Live, PeekReply, PlayReply, Plea, WorkReply, Writ};
use std::io::Read;

/// Serve writs from `input` until `%exit` (returns its code) or a fatal error.
pub fn serve<R: Read>(serf: &mut Serf, input: R) -> Result<u8, Fatal> {
    let state = *serf.kernel.state();
    reply(
        serf,
        Plea::Ripe {
            hon: super::HOON_KELVIN,
            nok: super::NOCK_KELVIN,
            eve: state.event,
            mug: state.mug,
        },
    )?;
    let mut reader = NewtReader::new(input);
    loop {
        super::idle::report_if_asked(&mut serf.kernel);
        let body = match reader.read_frame() {
            Ok(b) => {
                // A SIGUSR1 sent before the frame was written is pending by now: answer it before the writ.
                super::idle::report_if_asked(&mut serf.kernel);
                b
            }
            Err(FrameError::Idle) => continue,
            Err(FrameError::Eof) => {
                return Err(Fatal(
                    "the king closed the protocol pipe (end of input); exiting".into(),
                ))
            }
            Err(e) => return Err(Fatal(e.to_string())),
        };
        let noun = serf.cue(&body)?;
        // The frame's bytes are not needed once cued (a %play of a pill's boot events holds megabytes).
        drop(body);
        let writ = Writ::decode(noun).map_err(|e| Fatal(format!("bad writ: {e}")))?;
        let plea = match writ {
            Writ::Live(Live::Exit(code)) => return Ok(code),
            Writ::Live(live) => {
                self::live(serf, live)?;
                Plea::Live
            }
            Writ::Peek { mil, sam } => {
                require_kernel(serf, "%peek")?;
                Plea::Peek(match serf.peek(mil, sam) {
                    Ok(res) => PeekReply::Done(res),
                    Err(goof) => PeekReply::Bail(goof),
                })
            }
            Writ::Play { eve, lit } => Plea::Play(play(serf, eve, lit)?),
            Writ::Work { mil, job } => {
                require_kernel(serf, "%work")?;
                Plea::Work(work(serf, mil, job)?)
            }
        };
        reply(serf, plea)?;
        serf.settle(&mut ())?;
    }
}

fn reply(serf: &mut Serf, plea: Plea) -> Result<(), Fatal> {
    let n = plea.encode(&mut serf.kernel.ctx.stack)?;
    serf.send(n)
}

fn require_kernel(serf: &Serf, what: &str) -> Result<(), Fatal> {
    if serf.kernel.state().has_kernel() {
        Ok(())
    } else {
        Err(Fatal(format!("bad writ: {what} before the boot sequence")))
    }
}

fn live(serf: &mut Serf, live: Live) -> Result<(), Fatal> {
    let at = serf.kernel.state().event;
    match live {
        Live::Save(eve) | Live::Cram(eve) if eve != at => {
            let what = if matches!(live, Live::Save(_)) {
                "save"
            } else {
                "cram"
            };
            Err(Fatal(format!(
                "bad writ: asked to {what} at event {eve}, but the serf is at event {at}"
            )))
        }
        Live::Save(_) => serf.save(),
        Live::Cram(_) => serf.cram(),
        Live::Meld => serf.meld(),
        Live::Pack => serf.pack(),
        Live::Exit(_) => unreachable!("%exit is answered by exiting"),
    }
}

/// `%play`: the lifecycle on a fresh serf, else a replay of the batch.
fn play(serf: &mut Serf, eve: u64, lit: crate::noun::Noun) -> Result<PlayReply, Fatal> {
    let at = serf.kernel.state().event;
    if eve != at + 1 {
        return Err(Fatal(format!(
            "bad writ: %play starts at event {eve}, but the serf is at event {at} (expected {})",
            at + 1
        )));
    }
    if !serf.kernel.state().has_kernel() {
        return Ok(match serf.boot(lit) {
            Ok(()) => PlayReply::Done {
                mug: serf.kernel.state().mug,
            },
            // A failed lifecycle reports event 0.
            Err(goof) => PlayReply::Bail {
                eve: 0,
                mug: 0,
                goof,
            },
        });
    }
    let outcome = serf.replay(lit)?;
    let state = *serf.kernel.state();
    Ok(match outcome {
        Ok(()) => PlayReply::Done { mug: state.mug },
        Err(goof) => PlayReply::Bail {
            eve: state.event,
            mug: state.mug,
            goof,
        },
    })
}

/// `%work`: `%done`, `%swap` with the `%crud` dated one past the event, or `%bail` with the goofs newest first.
fn work(serf: &mut Serf, mil: u64, job: crate::noun::Noun) -> Result<WorkReply, Fatal> {
    let outcome = serf.work(mil, job, CrudDate::Later)?;
    let state = *serf.kernel.state();
    Ok(match outcome {
        Work::Done { effects } => WorkReply::Done {
            eve: state.event,
            mug: state.mug,
            effects,
        },
        Work::Swap { crud, effects } => WorkReply::Swap {
            eve: state.event,
            mug: state.mug,
            job: crud,
            effects,
        },
        Work::Bail { dud, crud: None } => WorkReply::Bail { goofs: vec![dud] },
        Work::Bail {
            dud,
            crud: Some(dud2),
        } => WorkReply::Bail {
            goofs: vec![dud2, dud],
        },
    })
}
