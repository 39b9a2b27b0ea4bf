//! The serf's loops for protocol P2 (Vere 4.x; king-protocol.md §1.3, §3.12, §4.3, §7.2): `boot` and `work`.
//!
//! In P2 the serf owns the event log (the epoch layout, `crate::eventlog`) and the pier lock.
//!
//! * `boot` reads one `[%boot pill vent more]` frame, assembles the boot sequence (`boot_seq.rs`), writes the log's
//!   `META` and every event (mug 0), runs the lifecycle over the whole sequence, saves a snapshot and exits 0.
//! * `work` migrates a P1 log if it finds one, replays its log from its own snapshot (or from scratch: the lifecycle
//!   on events `1..=life`, then `+poke`), checking every stored mug, honours `--play-until`, rolls over to a new epoch
//!   after a replay in epoch 0, sends `%ripe`, and then serves tasks. Each computed event is queued to the
//!   background [`LogWriter`]; its `%poke` reply is held until the event is durable, and every later reply queues
//!   behind it, so replies leave in the order the tasks came. A reader thread takes frames off the pipe, so the
//!   loop can tell whether more work is waiting (then it computes on, and the log commits what piled up in one
//!   transaction) or not (then it waits for the log and sends what it held).
//!
//! Snapshots: on `[%sync %save ~]`, every `--snap-time` seconds when there are new events, on `[%exit ~]`, and after
//! a replay; always after the log has committed every event the state holds, so a snapshot is never ahead of the
//! log.

use super::args_p2::{Mode, P2Args};
use super::boot_seq;
use super::ops::{CrudDate, Fatal, Serf, Work};
use crate::eventlog::{log_dir, migrate, LogWriter, Meta, OpenOptions, PierLock, PierLog};
use crate::kernel::Kernel;
use crate::noun::{cord, list, Atom, Noun, D, T};
use crate::protocol::newt::{FrameError, NewtReader};
use crate::protocol::p2::{Boot, Live, PeekReply, Plea, PokeReply, Quiz, Writ};
use crate::serial::{cue_bytes, jam_to_bytes};
use crate::snapshot::StoreKind;
use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

/// What this runtime writes into each epoch's `vere.txt`.
pub const RUNTIME_VERSION: &str = concat!("mars-", env!("CARGO_PKG_VERSION"));

fn log_err(what: &str) -> impl FnOnce(crate::eventlog::LogError) -> Fatal + '_ {
    move |e| Fatal(format!("{what}: {e}"))
}

fn log_options(args: &P2Args) -> OpenOptions {
    OpenOptions {
        writable: true,
        map_size: args.map_size,
        ..Default::default()
    }
}

/// The directory a store keeps its snapshot in (copied into a new epoch on rollover).
fn snapshot_dir(pier: &Path, store: StoreKind) -> PathBuf {
    let chk = pier.join(".urb").join("chk");
    match store {
        StoreKind::Pma => chk.join("mars"),
        StoreKind::Jam | StoreKind::Memory => chk,
    }
}

/// Take the pier lock, creating the pier directory if needed.
pub fn lock(pier: &Path) -> Result<PierLock, Fatal> {
    std::fs::create_dir_all(pier)
        .map_err(|e| Fatal(format!("cannot create the pier {}: {e}", pier.display())))?;
    PierLock::acquire(pier).map_err(log_err("the pier lock"))
}

// ---------------------------------------------------------------------------------------------------------------
// boot

/// `boot`: make the pier from the boot frame on `input`. Returns when the snapshot is saved.
pub fn boot(serf: &mut Serf, args: &P2Args, input: File) -> Result<(), Fatal> {
    let pier = &args.pier;
    if log_dir(pier).join("data.mdb").exists() {
        return Err(Fatal(format!(
            "boot: {} already has an event log; `mars work --snap-dir` runs it",
            pier.display()
        )));
    }
    let body = match NewtReader::new(input).read_frame() {
        Ok(b) => b,
        Err(FrameError::Eof) => {
            return Err(Fatal(
                "boot: the king closed the pipe before sending the boot frame".into(),
            ))
        }
        Err(e) => return Err(Fatal(format!("boot: {e}"))),
    };
    let frame = serf.cue(&body)?;
    let cmd = Boot::decode(frame).map_err(|e| Fatal(format!("boot: bad boot frame: {e}")))?;
    let mut eny = [0u8; 64];
    getrandom(&mut eny)?;
    let seq = boot_seq::assemble(
        &mut serf.kernel.ctx.stack,
        &cmd,
        crate::king::date::now_da(),
        &eny,
        args.flags.verbose(),
    )
    .map_err(|e| Fatal(format!("boot: {e}")))?;
    eprint!(
        "boot: {} events (life {}), {} ship {:#x}\r\n",
        seq.events.len(),
        seq.life,
        if seq.fake { "fake" } else { "real" },
        seq.who
    );
    let meta = Meta::epochs(seq.who, seq.fake, seq.life);
    let mut log = PierLog::create(pier, &meta, RUNTIME_VERSION, log_options(args))
        .map_err(log_err("boot: creating the event log"))?;
    let jams: Vec<Vec<u8>> = seq.events.iter().map(|e| jam_to_bytes(*e)).collect();
    log.append_batch(
        jams.iter()
            .enumerate()
            .map(|(i, j)| (i as u64 + 1, 0u32, j.as_slice())),
    )
    .map_err(log_err("boot: writing the boot sequence"))?;
    drop(log);
    let lit = list(&mut serf.kernel.ctx.stack, &seq.events)?;
    serf.boot(lit)
        .map_err(|g| Fatal(format!("boot: the lifecycle failed with {}", g.mote_name())))?;
    serf.save()?;
    let state = *serf.kernel.state();
    eprint!(
        "boot: done at event {}, kernel mug {:08x}\r\n",
        state.event, state.mug
    );
    Ok(())
}

fn getrandom(buf: &mut [u8]) -> Result<(), Fatal> {
    use std::io::Read;
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .map_err(|e| Fatal(format!("boot: no entropy from /dev/urandom: {e}")))
}

// ---------------------------------------------------------------------------------------------------------------
// work: start-up

/// How replay ended.
pub enum Start {
    /// Replayed to the end of the log: serve the king.
    Ready(Box<Worker>),
    /// `--play-until` stopped replay before the end of the log: exit 0 without `%ripe`.
    Stopped,
}

/// Open (migrating a P1 log first) and replay the log; roll over when Vere would.
pub fn start(mut serf: Serf, args: &P2Args, store: StoreKind) -> Result<Start, Fatal> {
    let pier = &args.pier;
    if !log_dir(pier).join("data.mdb").exists() {
        return Err(Fatal(format!(
            "{} has no event log: boot it first (`mars boot --snap-dir ...`)",
            pier.display()
        )));
    }
    let opts = log_options(args);
    if let migrate::Migration::Migrated { span } = migrate::migrate(pier, RUNTIME_VERSION, opts)
        .map_err(log_err("migrating the P1 event log"))?
    {
        eprint!(
            "mars: migrated the P1 event log to the epoch layout (events {})\r\n",
            span.map_or("none".into(), |(a, b)| format!("{a}..{b}"))
        );
    }
    let mut log = PierLog::open(pier, opts).map_err(log_err("opening the event log"))?;
    let meta = *log.meta();
    let last = log.last().map_err(log_err("reading the event log"))?;
    let start_eve = serf.kernel.state().event;
    if start_eve > last {
        return Err(Fatal(format!(
            "the snapshot is at event {start_eve}, beyond the end of the event log ({last})"
        )));
    }
    let to = args.play_until.map_or(last, |n| n.min(last));
    replay(&mut serf, &log, &meta, to, args.flags.soft_mugs())?;
    let state = *serf.kernel.state();
    if state.event > start_eve {
        serf.save()?;
    }
    if state.event < last {
        eprint!(
            "mars: stopped replay at event {} of {last} (--play-until); exiting\r\n",
            state.event
        );
        return Ok(Start::Stopped);
    }
    let roll_epoch0 = state.event > start_eve && log.latest().number() == 0;
    let has_new = log.latest().number() < last;
    if has_new
        && (roll_epoch0 || log.vere_differs(RUNTIME_VERSION))
        && !args.flags.yolo()
        && !args.flags.dry_run()
    {
        let n = log
            .roll(&snapshot_dir(pier, store), RUNTIME_VERSION)
            .map_err(log_err("rolling over to a new epoch"))?;
        eprint!("mars: rolled over to epoch 0i{n}\r\n");
    }
    let writer = LogWriter::spawn(log).map_err(log_err("starting the log writer"))?;
    Ok(Start::Ready(Box::new(Worker {
        serf,
        writer,
        meta,
        pending: VecDeque::new(),
        saved: state.event,
        snap_time: args.snap_time,
        last_snap: Instant::now(),
        last_now: 0,
    })))
}

/// Replay events `state + 1 ..= to` (from scratch: the lifecycle on `1..=life` first).
fn replay(serf: &mut Serf, log: &PierLog, meta: &Meta, to: u64, soft: bool) -> Result<(), Fatal> {
    let t0 = Instant::now();
    if !serf.kernel.state().has_kernel() {
        if meta.life == 0 {
            return Err(Fatal(
                "the event log's META says its boot sequence is empty (life 0)".into(),
            ));
        }
        let mut boot = Vec::with_capacity(meta.life as usize);
        for e in log
            .range(1, meta.life)
            .map_err(log_err("reading the boot sequence"))?
        {
            let e = e.map_err(log_err("reading the boot sequence"))?;
            let n = cue(&mut serf.kernel, &e.jam, e.number)?;
            boot.push(n);
        }
        if boot.len() as u64 != meta.life {
            return Err(Fatal(format!(
                "the event log lacks part of the boot sequence (has {} of {} events): it cannot be replayed from \
                 scratch",
                boot.len(),
                meta.life
            )));
        }
        let lit = list(&mut serf.kernel.ctx.stack, &boot)?;
        serf.boot(lit).map_err(|g| {
            Fatal(format!(
                "replay: the lifecycle on events 1..{} failed with {}",
                meta.life,
                g.mote_name()
            ))
        })?;
        serf.settle(&mut ())?;
        eprint!(
            "play: lifecycle on events 1..{} ({:.1} s)\r\n",
            meta.life,
            t0.elapsed().as_secs_f64()
        );
    }
    let from = serf.kernel.state().event + 1;
    if from > to {
        return Ok(());
    }
    eprint!("play: events {from}-{to}\r\n");
    let (mut checked, mut mismatches) = (0u64, 0u64);
    for e in log
        .range(from, to)
        .map_err(log_err("reading the event log"))?
    {
        let e = e.map_err(log_err("reading the event log"))?;
        let job = cue(&mut serf.kernel, &e.jam, e.number)?;
        let one = list(&mut serf.kernel.ctx.stack, &[job])?;
        if let Err(goof) = serf.replay(one)? {
            return Err(Fatal(format!(
                "play: event {} failed with {}",
                e.number,
                goof.mote_name()
            )));
        }
        let mug = serf.kernel.state().mug;
        if e.mug != 0 {
            checked += 1;
            if e.mug != mug {
                mismatches += 1;
                eprint!(
                    "play ({}): mug mismatch: expected {:08x}, actual {mug:08x}\r\n",
                    e.number, e.mug
                );
                if !soft {
                    return Err(Fatal(format!(
                        "play: event {} does not reproduce the logged state (mug {mug:08x}, logged {:08x})",
                        e.number, e.mug
                    )));
                }
            }
        }
    }
    let state = serf.kernel.state();
    if state.event != to {
        return Err(Fatal(format!(
            "play: the event log ended at event {} before event {to}",
            state.event
        )));
    }
    eprint!(
        "play: done at event {to}, mug {:08x}; {checked} mugs checked, {mismatches} mismatches ({:.1} s)\r\n",
        state.mug,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Cue a logged event into the root frame.
fn cue(kernel: &mut Kernel, jam: &[u8], number: u64) -> Result<Noun, Fatal> {
    cue_bytes(&mut kernel.ctx.stack, jam)
        .map_err(|e| Fatal(format!("event {number} in the log does not decode: {e}")))
}

// ---------------------------------------------------------------------------------------------------------------
// work: serving

/// A reply waiting to be sent: after event `wait` is durable, if set.
struct Pending {
    wait: Option<u64>,
    jam: Vec<u8>,
}

pub struct Worker {
    serf: Serf,
    writer: LogWriter,
    meta: Meta,
    pending: VecDeque<Pending>,
    /// Event of the last snapshot.
    saved: u64,
    snap_time: u64,
    last_snap: Instant,
    /// The date of the last event computed, so that dates strictly increase.
    last_now: u128,
}

/// The frames of the king's pipe, read on their own thread.
fn frames(input: File) -> Receiver<Result<Vec<u8>, FrameError>> {
    let (tx, rx) = mpsc::sync_channel(64);
    let spawned = std::thread::Builder::new()
        .name("serf-input".into())
        .spawn(move || {
            let mut r = NewtReader::new(input);
            loop {
                let f = r.read_frame();
                let end = f.is_err();
                if tx.send(f).is_err() || end {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        eprint!("mars: cannot start the input thread: {e}\r\n");
    }
    rx
}

impl Worker {
    /// Send `%ripe`, then serve tasks until `%exit` (returns 0) or a fatal error.
    pub fn serve(mut self, input: File) -> Result<i32, Fatal> {
        let state = *self.serf.kernel.state();
        if !state.has_kernel() {
            return Err(Fatal("the event log holds no event to start from".into()));
        }
        let ripe = Plea::Ripe {
            wynn: vec![],
            who: self.meta.who,
            fake: self.meta.fake,
            eve: state.event,
            mug: state.mug,
        };
        let n = ripe.encode(&mut self.serf.kernel.ctx.stack)?;
        self.serf.send(n)?;
        let rx = frames(input);
        loop {
            let frame = match rx.try_recv() {
                Ok(f) => f,
                Err(TryRecvError::Empty) => {
                    // Nothing waiting: send everything held, then wait for the king (or the snapshot timer).
                    self.flush(true)?;
                    self.next_frame(&rx)?
                }
                Err(TryRecvError::Disconnected) => {
                    return Err(Fatal("the input thread stopped".into()))
                }
            };
            let body = match frame {
                Ok(b) => b,
                Err(FrameError::Eof) => {
                    return Err(Fatal(
                        "the king closed the protocol pipe (end of input); exiting".into(),
                    ))
                }
                Err(e) => return Err(Fatal(e.to_string())),
            };
            let noun = self.serf.cue(&body)?;
            let writ = Writ::decode(noun).map_err(|e| Fatal(format!("bad writ: {e}")))?;
            if let Writ::Exit = writ {
                self.exit()?;
                return Ok(0);
            }
            self.task(writ)?;
            self.flush(false)?;
            self.serf.settle(&mut ())?;
            if self.snapshot_due() {
                self.snapshot()?;
            }
        }
    }

    /// Block for the next frame, taking a snapshot whenever the timer comes due meanwhile.
    fn next_frame(
        &mut self,
        rx: &Receiver<Result<Vec<u8>, FrameError>>,
    ) -> Result<Result<Vec<u8>, FrameError>, Fatal> {
        loop {
            let wait = if self.snap_time == 0 {
                Duration::from_secs(3600)
            } else {
                Duration::from_secs(self.snap_time)
                    .saturating_sub(self.last_snap.elapsed())
                    .max(Duration::from_millis(10))
            };
            // Wake at least every idle poll interval to answer a SIGUSR1 between events.
            let wait = wait.min(super::idle::POLL);
            let received = rx.recv_timeout(wait);
            super::idle::report_if_asked(&mut self.serf.kernel);
            match received {
                Ok(f) => return Ok(f),
                Err(RecvTimeoutError::Timeout) => {
                    if self.snapshot_due() {
                        self.snapshot()?;
                        self.flush(true)?;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Fatal("the input thread stopped".into()))
                }
            }
        }
    }

    fn snapshot_due(&self) -> bool {
        self.snap_time > 0
            && self.last_snap.elapsed() >= Duration::from_secs(self.snap_time)
            && self.serf.kernel.state().event > self.saved
    }

    /// Commit the log up to the state, then save the state.
    fn snapshot(&mut self) -> Result<(), Fatal> {
        self.sync_log()?;
        self.serf.save()?;
        self.saved = self.serf.kernel.state().event;
        self.last_snap = Instant::now();
        Ok(())
    }

    fn sync_log(&mut self) -> Result<(), Fatal> {
        self.writer
            .sync()
            .map_err(log_err("committing the event log"))?;
        Ok(())
    }

    /// Send held replies in order: all of them (`wait`: waiting for the log as needed), or those already durable.
    fn flush(&mut self, wait: bool) -> Result<(), Fatal> {
        while let Some(p) = self.pending.front() {
            if let Some(eve) = p.wait {
                if self.writer.durable() < eve {
                    if !wait {
                        break;
                    }
                    self.writer
                        .wait_durable(eve)
                        .map_err(log_err("committing the event log"))?;
                }
            }
            let p = self.pending.pop_front().expect("front exists");
            self.serf
                .out
                .borrow_mut()
                .send_jam(&p.jam)
                .map_err(|e| Fatal(format!("writing to the king: {e}")))?;
        }
        Ok(())
    }

    /// Queue a reply behind the held ones.
    fn reply(&mut self, plea: Plea, wait: Option<u64>) -> Result<(), Fatal> {
        let n = plea.encode(&mut self.serf.kernel.ctx.stack)?;
        self.pending.push_back(Pending {
            wait,
            jam: jam_to_bytes(n),
        });
        Ok(())
    }

    fn task(&mut self, writ: Writ) -> Result<(), Fatal> {
        match writ {
            Writ::Poke { mil, ovum } => self.poke(mil, ovum),
            Writ::Peek { mil, sam } => {
                let r = match self.serf.peek(mil, sam) {
                    Ok(res) => PeekReply::Done(res),
                    Err(goof) => PeekReply::Bail(goof),
                };
                self.reply(Plea::Peek(r), None)
            }
            Writ::Sync => {
                self.snapshot()?;
                let s = *self.serf.kernel.state();
                self.reply(
                    Plea::Sync {
                        eve: s.event,
                        mug: s.mug,
                    },
                    None,
                )
            }
            Writ::Live(Live::Pack) => {
                self.serf.pack()?;
                self.reply(Plea::Live, None)
            }
            Writ::Live(Live::Meld(_)) => {
                self.serf.meld()?;
                self.reply(Plea::Live, None)
            }
            Writ::Quiz(Quiz::Quac) => {
                let report = self.quac()?;
                self.reply(Plea::Quac(report), None)
            }
            Writ::Quiz(Quiz::Quic) => {
                // Open: the free gap of the NockStack. Idle: Vere's free-list bytes; the NockStack allocates by
                // bumping and has no free lists, so nothing is idle.
                let open = (self.serf.kernel.ctx.stack.free_words() * 8) as u64;
                let idle = 0;
                eprint!("open: {open}\r\nidle: {idle}\r\n");
                self.reply(Plea::Quic { open, idle }, None)
            }
            Writ::Exit => unreachable!("answered by exiting"),
        }
    }

    /// `[%poke mil ovum]`: date the ovum, compute it (or its `%crud`), log what was computed, hold the reply.
    fn poke(&mut self, mil: u64, ovum: Noun) -> Result<(), Fatal> {
        let now = crate::king::date::now_da().max(self.last_now + 1);
        self.last_now = now;
        let st = &mut self.serf.kernel.ctx.stack;
        let now = Atom::from_u128(st, now)?.as_noun();
        let job = T(st, &[now, ovum])?;
        match self.serf.work(mil, job, CrudDate::Same)? {
            Work::Done { effects } => self.commit(job, effects),
            Work::Swap { crud, effects } => self.commit(crud, effects),
            Work::Bail { dud, crud } => {
                let mut goofs = vec![dud];
                goofs.extend(crud);
                self.reply(Plea::Poke(PokeReply::Bail(goofs)), None)
            }
        }
    }

    fn commit(&mut self, job: Noun, effects: Noun) -> Result<(), Fatal> {
        let s = *self.serf.kernel.state();
        self.writer
            .append(s.event, s.mug, jam_to_bytes(job))
            .map_err(log_err("writing the event log"))?;
        self.reply(Plea::Poke(PokeReply::Done(effects)), Some(s.event))
    }

    /// The memory report: `(list [name=@t size=@ud (list)])`, sizes in bytes.
    fn quac(&mut self) -> Result<Noun, Fatal> {
        let st = &self.serf.kernel.ctx.stack;
        let rows = [
            ("root frame", (st.frame_alloc_words() * 8) as u64),
            ("free", (st.free_words() * 8) as u64),
            ("peak", st.peak_bytes() as u64),
            ("loom", st.size_bytes() as u64),
        ];
        let st = &mut self.serf.kernel.ctx.stack;
        let mut items = Vec::new();
        for (name, size) in rows {
            let name = cord(st, name)?;
            let size = Atom::new(st, size)?.as_noun();
            items.push(T(st, &[name, size, D(0)])?);
        }
        Ok(list(st, &items)?)
    }

    /// `[%exit ~]`: commit the log, send what is held, save, close the log.
    fn exit(mut self) -> Result<(), Fatal> {
        self.sync_log()?;
        self.flush(true)?;
        self.serf.save()?;
        self.writer
            .finish()
            .map_err(log_err("closing the event log"))?;
        Ok(())
    }
}

/// Run `boot` or `work` on a serf whose state was restored from its own snapshot.
pub fn run(serf: Serf, args: &P2Args, store: StoreKind, input: File) -> Result<i32, Fatal> {
    match args.mode {
        Mode::Boot => {
            let mut serf = serf;
            boot(&mut serf, args, input)?;
            Ok(0)
        }
        Mode::Work => match start(serf, args, store)? {
            Start::Stopped => Ok(0),
            Start::Ready(w) => w.serve(input),
        },
    }
}
