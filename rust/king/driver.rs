//! The king's side of protocol P1: spawn `mars serf`, send writs, read pleas, and check every reply's shape and
//! event numbers as the P1 king does (king-protocol.md §3).

use crate::noun::{list_iter, tas, HeapAlloc, Noun, D, T};
use crate::serf::newt::{write_frame, NewtReader};
use crate::serf::writ::{
    self, show_tag, BAIL, CRAM, DONE, EXIT, FLOG, LIVE, MELD, PACK, PEEK, PLAY, RIPE, SAVE, SLOG,
    SWAP, WORK,
};
use crate::serial::{cue_bytes, jam_to_bytes};
use std::fmt;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};

/// A protocol violation or I/O failure seen by the king.
#[derive(Debug)]
pub struct DriverError(pub String);

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DriverError {}

fn err<T>(msg: impl Into<String>) -> Result<T, DriverError> {
    Err(DriverError(msg.into()))
}

/// How to spawn the serf.
#[derive(Clone, Debug)]
pub struct SpawnOptions {
    /// The `mars` binary.
    pub bin: PathBuf,
    pub pier: PathBuf,
    pub flags: u32,
    pub cache_size: u32,
    pub loom_bits: u8,
    pub at_event: u64,
    /// Capture the serf's stderr (readable after exit) instead of inheriting it.
    pub capture_stderr: bool,
    /// The snapshot store the serf uses (`MARS_SNAPSHOT`: `pma` or `jam`); inherited from the environment if `None`.
    pub snapshot: Option<String>,
    /// Emulate a full disk: the serf runs under `RLIMIT_FSIZE` of this many bytes (it ignores `SIGXFSZ`, so a write
    /// past the limit fails with `EFBIG`; tests of `%save` on a full disk).
    pub file_size_limit: Option<u64>,
}

impl SpawnOptions {
    pub fn new(bin: &Path, pier: &Path) -> SpawnOptions {
        SpawnOptions {
            bin: bin.to_owned(),
            pier: pier.to_owned(),
            flags: 128,
            cache_size: 50_000,
            loom_bits: 31,
            at_event: 0,
            capture_stderr: false,
            snapshot: None,
            file_size_limit: None,
        }
    }
}

/// What to do with `%slog` and `%flog` pleas.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Chatter {
    /// Print them to stderr.
    Print,
    /// Keep them in [`SerfProcess::slogs`] / [`SerfProcess::flogs`].
    Collect,
}

/// A goof `[mote tang]`.
#[derive(Copy, Clone, Debug)]
pub struct Goof {
    pub mote: Noun,
    pub tang: Noun,
}

impl Goof {
    pub fn mote_name(&self) -> String {
        show_tag(self.mote)
    }
}

fn goof(n: Noun) -> Result<Goof, DriverError> {
    match n.as_cell() {
        Some(c) if c.head().is_atom() => Ok(Goof {
            mote: c.head(),
            tang: c.tail(),
        }),
        _ => err("a goof is not [mote tang]"),
    }
}

#[derive(Copy, Clone, Debug)]
pub enum PlayResult {
    Done { mug: u32 },
    Bail { eve: u64, mug: u32, goof: Goof },
}

#[derive(Clone, Debug)]
pub enum WorkResult {
    Done {
        eve: u64,
        mug: u32,
        effects: Noun,
    },
    Swap {
        eve: u64,
        mug: u32,
        job: Noun,
        effects: Noun,
    },
    Bail {
        goofs: Vec<Goof>,
    },
}

#[derive(Copy, Clone, Debug)]
pub enum PeekResult {
    Done(Noun),
    Bail(Goof),
}

/// A running serf.
pub struct SerfProcess {
    child: Child,
    input: BufWriter<ChildStdin>,
    output: NewtReader<ChildStdout>,
    /// The serf's event number, as the king tracks it.
    pub event: u64,
    /// The kernel mug the serf last reported.
    pub mug: u32,
    /// Kelvins from `%ripe`.
    pub kelvins: (u64, u64),
    pub chatter: Chatter,
    pub slogs: Vec<(u32, Noun)>,
    pub flogs: Vec<String>,
}

fn u64_of(what: &str, n: Noun) -> Result<u64, DriverError> {
    n.as_u64()
        .ok_or_else(|| DriverError(format!("{what} is not a 64-bit atom")))
}

fn mug_of(n: Noun) -> Result<u32, DriverError> {
    match n.as_u64() {
        Some(m) if m <= 0x7fff_ffff => Ok(m as u32),
        _ => err("a mug is not a 31-bit atom"),
    }
}

/// Split a right-nested tuple into exactly `N` items (the last takes the rest).
fn tuple<const N: usize>(what: &str, n: Noun) -> Result<[Noun; N], DriverError> {
    let mut out = [Noun::ZERO; N];
    let mut cur = n;
    for (i, slot) in out.iter_mut().enumerate() {
        if i == N - 1 {
            *slot = cur;
        } else {
            let c = cur
                .as_cell()
                .ok_or_else(|| DriverError(format!("{what}: too short")))?;
            *slot = c.head();
            cur = c.tail();
        }
    }
    Ok(out)
}

pub use crate::text::urbit::render_tank;

impl SerfProcess {
    /// Spawn `mars serf` and read its `%ripe`.
    pub fn spawn(o: &SpawnOptions, chatter: Chatter) -> Result<SerfProcess, DriverError> {
        let mut cmd = Command::new(&o.bin);
        cmd.arg("serf")
            .arg(&o.pier)
            .arg("0:0:0:0")
            .arg(o.flags.to_string())
            .arg(o.cache_size.to_string())
            .arg(o.loom_bits.to_string())
            .arg(o.at_event.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if o.capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            });
        if let Some(store) = &o.snapshot {
            cmd.env("MARS_SNAPSHOT", store);
        }
        if let Some(limit) = o.file_size_limit {
            use std::os::unix::process::CommandExt;
            // SAFETY: the closure runs in the forked child before exec and calls only setrlimit, which is
            // async-signal-safe, on a value it owns.
            unsafe {
                cmd.pre_exec(move || {
                    let lim = libc::rlimit {
                        rlim_cur: limit as libc::rlim_t,
                        rlim_max: limit as libc::rlim_t,
                    };
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| DriverError(format!("spawning {}: {e}", o.bin.display())))?;
        let input = BufWriter::new(child.stdin.take().expect("piped stdin"));
        let output = NewtReader::new(child.stdout.take().expect("piped stdout"));
        let mut s = SerfProcess {
            child,
            input,
            output,
            event: 0,
            mug: 0,
            kelvins: (0, 0),
            chatter,
            slogs: Vec::new(),
            flogs: Vec::new(),
        };
        let mut h = HeapAlloc::new();
        let ripe = s.recv(&mut h)?;
        let [tag, ver, eve, m] = tuple::<4>("%ripe", ripe)?;
        if tag != RIPE {
            return err(format!("expected %ripe first, got {}", show_tag(tag)));
        }
        let [pro, hon, nok] = tuple::<3>("%ripe version", ver)?;
        if pro != D(1) {
            return err(format!("serf speaks protocol {pro}, not 1"));
        }
        let (hon, nok) = (u64_of("hoon kelvin", hon)?, u64_of("nock kelvin", nok)?);
        if hon > 255 || nok > 255 {
            return err("kelvins do not fit in a byte");
        }
        s.kelvins = (hon, nok);
        s.event = u64_of("%ripe event", eve)?;
        s.mug = mug_of(m)?;
        if (s.event == 0) != (s.mug == 0) {
            return err(format!(
                "%ripe: event {} with mug {:#x} (mug must be 0 exactly when the event is 0)",
                s.event, s.mug
            ));
        }
        Ok(s)
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send one writ.
    pub fn send(&mut self, writ: Noun) -> Result<(), DriverError> {
        write_frame(&mut self.input, &jam_to_bytes(writ))
            .map_err(|e| DriverError(format!("writing to the serf: {e}")))
    }

    /// Send raw bytes (for testing malformed input).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        self.input
            .write_all(bytes)
            .and_then(|_| self.input.flush())
            .map_err(|e| DriverError(format!("writing to the serf: {e}")))
    }

    /// Read pleas until one that is not `%slog`/`%flog`.
    pub fn recv(&mut self, h: &mut HeapAlloc) -> Result<Noun, DriverError> {
        loop {
            let body = self
                .output
                .read_frame()
                .map_err(|e| DriverError(format!("reading from the serf: {e}")))?;
            let n = cue_bytes(h, &body).map_err(|e| DriverError(format!("bad plea: {e}")))?;
            let c = n
                .as_cell()
                .ok_or_else(|| DriverError("plea is an atom".into()))?;
            if c.head() == SLOG {
                let [pri, tank] = tuple::<2>("%slog", c.tail())?;
                let pri = match pri.as_u64() {
                    Some(p) if p <= u32::MAX as u64 => p as u32,
                    _ => return err("%slog priority does not fit 32 bits"),
                };
                match self.chatter {
                    Chatter::Print => eprint!("[slog {pri}] {}\r\n", render_tank(tank)),
                    Chatter::Collect => self.slogs.push((pri, tank)),
                }
                continue;
            }
            if c.head() == FLOG {
                let text = c
                    .tail()
                    .as_atom()
                    .map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned())
                    .ok_or_else(|| DriverError("%flog payload is not a cord".into()))?;
                match self.chatter {
                    Chatter::Print => eprint!("{text}"),
                    Chatter::Collect => self.flogs.push(text),
                }
                continue;
            }
            return Ok(n);
        }
    }

    /// `[%play eve lit]`: replay (or boot with) `events`, the first of which is event `self.event + 1`.
    pub fn play(&mut self, h: &mut HeapAlloc, events: &[Noun]) -> Result<PlayResult, DriverError> {
        if events.is_empty() {
            return err("%play needs at least one event");
        }
        let eve = writ::num(h, self.event + 1).map_err(oom)?;
        let lit = crate::noun::list(h, events).map_err(oom)?;
        let w = T(h, &[PLAY, eve, lit]).map_err(oom)?;
        self.send(w)?;
        let p = self.recv(h)?;
        let [tag, kind, rest] = tuple::<3>("%play reply", p)?;
        if tag != PLAY {
            return err(format!("expected a %play reply, got {}", show_tag(tag)));
        }
        match kind {
            k if k == DONE => {
                let mug = mug_of(rest)?;
                self.event += events.len() as u64;
                self.mug = mug;
                Ok(PlayResult::Done { mug })
            }
            k if k == BAIL => {
                let [eve, mug, g] = tuple::<3>("%play %bail", rest)?;
                let eve = u64_of("%play %bail event", eve)?;
                let mug = mug_of(mug)?;
                let g = goof(g)?;
                if eve < self.event || eve >= self.event + events.len() as u64 {
                    // A failed boot reports 0.
                    if !(self.event == 0 && eve == 0) {
                        return err(format!(
                            "%play %bail at event {eve}, outside the batch {}..{}",
                            self.event + 1,
                            self.event + events.len() as u64
                        ));
                    }
                }
                self.event = eve;
                self.mug = mug;
                Ok(PlayResult::Bail { eve, mug, goof: g })
            }
            k => err(format!("unknown %play reply {}", show_tag(k))),
        }
    }

    /// `[%work mil job]`.
    pub fn work(
        &mut self,
        h: &mut HeapAlloc,
        mil: u64,
        job: Noun,
    ) -> Result<WorkResult, DriverError> {
        let m = writ::num(h, mil).map_err(oom)?;
        let w = T(h, &[WORK, m, job]).map_err(oom)?;
        self.send(w)?;
        let p = self.recv(h)?;
        let [tag, kind, rest] = tuple::<3>("%work reply", p)?;
        if tag != WORK {
            return err(format!("expected a %work reply, got {}", show_tag(tag)));
        }
        let expect = self.event + 1;
        match kind {
            k if k == DONE => {
                let [eve, mug, fec] = tuple::<3>("%work %done", rest)?;
                let eve = u64_of("%work %done event", eve)?;
                if eve != expect {
                    return err(format!("%work %done for event {eve}, expected {expect}"));
                }
                let mug = mug_of(mug)?;
                check_effects(fec)?;
                self.event = eve;
                self.mug = mug;
                Ok(WorkResult::Done {
                    eve,
                    mug,
                    effects: fec,
                })
            }
            k if k == SWAP => {
                let [eve, mug, job, fec] = tuple::<4>("%work %swap", rest)?;
                let eve = u64_of("%work %swap event", eve)?;
                if eve != expect {
                    return err(format!("%work %swap for event {eve}, expected {expect}"));
                }
                let mug = mug_of(mug)?;
                let [_now, wire, card] = tuple::<3>("%swap job", job)?;
                let arvo = T(h, &[D(0), tas("arvo"), D(0)]).map_err(oom)?;
                if !crate::equality::noun_eq(wire, arvo) || card.head() != Some(tas("crud")) {
                    return err("%work %swap job is not a //arvo %crud event");
                }
                check_effects(fec)?;
                self.event = eve;
                self.mug = mug;
                Ok(WorkResult::Swap {
                    eve,
                    mug,
                    job,
                    effects: fec,
                })
            }
            k if k == BAIL => {
                let mut goofs = Vec::new();
                for g in list_iter(rest) {
                    let g = g.map_err(|_| DriverError("%work %bail lud is not a list".into()))?;
                    goofs.push(goof(g)?);
                }
                if goofs.is_empty() {
                    return err("%work %bail with no goofs");
                }
                Ok(WorkResult::Bail { goofs })
            }
            k => err(format!("unknown %work reply {}", show_tag(k))),
        }
    }

    /// `[%peek mil sam]`.
    pub fn peek(
        &mut self,
        h: &mut HeapAlloc,
        mil: u64,
        sam: Noun,
    ) -> Result<PeekResult, DriverError> {
        let m = writ::num(h, mil).map_err(oom)?;
        let w = T(h, &[PEEK, m, sam]).map_err(oom)?;
        self.send(w)?;
        let p = self.recv(h)?;
        let [tag, kind, rest] = tuple::<3>("%peek reply", p)?;
        if tag != PEEK {
            return err(format!("expected a %peek reply, got {}", show_tag(tag)));
        }
        match kind {
            k if k == DONE => Ok(PeekResult::Done(rest)),
            k if k == BAIL => Ok(PeekResult::Bail(goof(rest)?)),
            k => err(format!("unknown %peek reply {}", show_tag(k))),
        }
    }

    fn live(&mut self, h: &mut HeapAlloc, sub: Noun, arg: Noun) -> Result<(), DriverError> {
        let w = T(h, &[LIVE, sub, arg]).map_err(oom)?;
        self.send(w)?;
        let p = self.recv(h)?;
        let [tag, rest] = tuple::<2>("%live reply", p)?;
        if tag != LIVE || rest != D(0) {
            return err(format!("expected [%live ~], got {p}"));
        }
        Ok(())
    }

    /// `[%live %save eve]` at the current event; returns when the snapshot is durable.
    pub fn save(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        let eve = writ::num(h, self.event).map_err(oom)?;
        self.live(h, SAVE, eve)
    }

    /// `[%live %cram eve]` at the current event.
    pub fn cram(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        let eve = writ::num(h, self.event).map_err(oom)?;
        self.live(h, CRAM, eve)
    }

    pub fn pack(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        self.live(h, PACK, D(0))
    }

    pub fn meld(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        self.live(h, MELD, D(0))
    }

    /// `[%live %exit 0]`, then wait for the process.
    pub fn exit(mut self, h: &mut HeapAlloc) -> Result<ExitStatus, DriverError> {
        let w = T(h, &[LIVE, EXIT, D(0)]).map_err(oom)?;
        self.send(w)?;
        self.wait()
    }

    /// Close the serf's stdin and wait for it to exit.
    pub fn wait(mut self) -> Result<ExitStatus, DriverError> {
        drop(self.input);
        self.child
            .wait()
            .map_err(|e| DriverError(format!("waiting for the serf: {e}")))
    }

    /// Wait for exit and collect the captured stderr (with `capture_stderr`).
    pub fn wait_with_stderr(self) -> Result<(ExitStatus, String), DriverError> {
        let SerfProcess {
            mut child, input, ..
        } = self;
        drop(input);
        let mut text = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut text);
        }
        let status = child
            .wait()
            .map_err(|e| DriverError(format!("waiting for the serf: {e}")))?;
        Ok((status, text))
    }

    /// SIGKILL the serf (what the king does after a protocol error) and reap it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Send a signal to the serf.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid, which has not been reaped (we hold the Child).
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, sig);
        }
    }
}

fn oom(_: crate::noun::Oom) -> DriverError {
    DriverError("out of memory building a writ".into())
}

/// Effects must be a list of `[wire card]`.
fn check_effects(fec: Noun) -> Result<(), DriverError> {
    for e in list_iter(fec) {
        let e = e.map_err(|_| DriverError("effects are not a list".into()))?;
        if e.is_atom() {
            return err("an effect is not [wire card]");
        }
    }
    Ok(())
}
