//! The king's side of protocol P1: spawn `mars serf`, send writs, read pleas, and check every reply's shape and
//! event numbers as the P1 king does (king-protocol.md §3).

use crate::noun::{tas, HeapAlloc, Noun, D, T};
use crate::protocol::newt::{write_frame, NewtReader};
use crate::protocol::p1::{Live, Plea, Writ};
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

pub use crate::protocol::Goof;

pub use crate::protocol::p1::{PeekReply, PlayReply, WorkReply};

/// A running serf.
pub struct SerfProcess {
    child: Child,
    input: BufWriter<ChildStdin>,
    output: NewtReader<ChildStdout>,
    /// The serf's event number, as the king tracks it.
    pub event: u64,
    /// The kernel mug the serf last reported.
    pub mug: u32,
    /// Kelvins from `%ripe`: Hoon's and Nock's.
    pub kelvins: (u8, u8),
    pub chatter: Chatter,
    pub slogs: Vec<(u32, Noun)>,
    pub flogs: Vec<String>,
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
        match s.recv(&mut h)? {
            Plea::Ripe { hon, nok, eve, mug } => {
                if (eve == 0) != (mug == 0) {
                    return err(format!(
                        "%ripe: event {eve} with mug {mug:#x} (mug must be 0 exactly when the event is 0)"
                    ));
                }
                s.kelvins = (hon, nok);
                s.event = eve;
                s.mug = mug;
            }
            other => return err(format!("expected %ripe first, got {}", other.kind())),
        }
        Ok(s)
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send one writ noun (well-formed or not: tests send malformed ones).
    pub fn send(&mut self, writ: Noun) -> Result<(), DriverError> {
        write_frame(&mut self.input, &jam_to_bytes(writ))
            .map_err(|e| DriverError(format!("writing to the serf: {e}")))
    }

    /// Send one writ.
    pub fn send_writ(&mut self, h: &mut HeapAlloc, writ: Writ) -> Result<(), DriverError> {
        let n = writ.encode(h).map_err(oom)?;
        self.send(n)
    }

    /// Send raw bytes (for testing malformed input).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        self.input
            .write_all(bytes)
            .and_then(|_| self.input.flush())
            .map_err(|e| DriverError(format!("writing to the serf: {e}")))
    }

    /// Read pleas until one that is not `%slog`/`%flog` (those are printed or collected, as [`Chatter`] says).
    pub fn recv(&mut self, h: &mut HeapAlloc) -> Result<Plea, DriverError> {
        loop {
            let body = self
                .output
                .read_frame()
                .map_err(|e| DriverError(format!("reading from the serf: {e}")))?;
            let n = cue_bytes(h, &body).map_err(|e| DriverError(format!("bad plea: {e}")))?;
            match Plea::decode(n).map_err(|e| DriverError(format!("bad plea: {e}")))? {
                Plea::Slog { pri, tank } => match self.chatter {
                    Chatter::Print => eprint!("[slog {pri}] {}\r\n", render_tank(tank)),
                    Chatter::Collect => self.slogs.push((pri, tank)),
                },
                Plea::Flog(cord) => {
                    let text = cord
                        .as_atom()
                        .map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned())
                        .unwrap_or_default();
                    match self.chatter {
                        Chatter::Print => eprint!("{text}"),
                        Chatter::Collect => self.flogs.push(text),
                    }
                }
                plea => return Ok(plea),
            }
        }
    }

    /// `[%play eve lit]`: replay (or boot with) `events`, the first of which is event `self.event + 1`.
    pub fn play(&mut self, h: &mut HeapAlloc, events: &[Noun]) -> Result<PlayReply, DriverError> {
        if events.is_empty() {
            return err("%play needs at least one event");
        }
        let lit = crate::noun::list(h, events).map_err(oom)?;
        self.send_writ(
            h,
            Writ::Play {
                eve: self.event + 1,
                lit,
            },
        )?;
        let reply = match self.recv(h)? {
            Plea::Play(r) => r,
            other => return err(format!("expected a %play reply, got {}", other.kind())),
        };
        let batch = events.len() as u64;
        match reply {
            PlayReply::Done { mug } => {
                self.event += batch;
                self.mug = mug;
            }
            PlayReply::Bail { eve, mug, .. } => {
                // A failed boot reports 0.
                let in_batch = eve >= self.event && eve < self.event + batch;
                if !(in_batch || self.event == 0 && eve == 0) {
                    return err(format!(
                        "%play %bail at event {eve}, outside the batch {}..{}",
                        self.event + 1,
                        self.event + batch
                    ));
                }
                self.event = eve;
                self.mug = mug;
            }
        }
        Ok(reply)
    }

    /// `[%work mil job]`.
    pub fn work(
        &mut self,
        h: &mut HeapAlloc,
        mil: u64,
        job: Noun,
    ) -> Result<WorkReply, DriverError> {
        self.send_writ(h, Writ::Work { mil, job })?;
        let reply = match self.recv(h)? {
            Plea::Work(r) => r,
            other => return err(format!("expected a %work reply, got {}", other.kind())),
        };
        let expect = self.event + 1;
        match &reply {
            WorkReply::Done { eve, mug, .. } => {
                if *eve != expect {
                    return err(format!("%work %done for event {eve}, expected {expect}"));
                }
                self.event = *eve;
                self.mug = *mug;
            }
            WorkReply::Swap { eve, mug, job, .. } => {
                if *eve != expect {
                    return err(format!("%work %swap for event {eve}, expected {expect}"));
                }
                let [wire, card] = [
                    job.tail().and_then(|o| o.head()),
                    job.tail().and_then(|o| o.tail()),
                ];
                let arvo = T(h, &[D(0), tas("arvo"), D(0)]).map_err(oom)?;
                let is_arvo = wire.is_some_and(|w| crate::equality::noun_eq(w, arvo));
                if !is_arvo || card.and_then(|c| c.head()) != Some(tas("crud")) {
                    return err("%work %swap job is not a //arvo %crud event");
                }
                self.event = *eve;
                self.mug = *mug;
            }
            WorkReply::Bail { goofs } => {
                if goofs.is_empty() {
                    return err("%work %bail with no goofs");
                }
            }
        }
        Ok(reply)
    }

    /// `[%peek mil sam]`.
    pub fn peek(
        &mut self,
        h: &mut HeapAlloc,
        mil: u64,
        sam: Noun,
    ) -> Result<PeekReply, DriverError> {
        self.send_writ(h, Writ::Peek { mil, sam })?;
        match self.recv(h)? {
            Plea::Peek(r) => Ok(r),
            other => err(format!("expected a %peek reply, got {}", other.kind())),
        }
    }

    fn live(&mut self, h: &mut HeapAlloc, live: Live) -> Result<(), DriverError> {
        self.send_writ(h, Writ::Live(live))?;
        match self.recv(h)? {
            Plea::Live => Ok(()),
            other => err(format!("expected [%live ~], got {}", other.kind())),
        }
    }

    /// `[%live %save eve]` at the current event; returns when the snapshot is durable.
    pub fn save(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        self.live(h, Live::Save(self.event))
    }

    /// `[%live %cram eve]` at the current event.
    pub fn cram(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        self.live(h, Live::Cram(self.event))
    }

    pub fn pack(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        self.live(h, Live::Pack)
    }

    pub fn meld(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        self.live(h, Live::Meld)
    }

    /// `[%live %exit 0]`, then wait for the process.
    pub fn exit(mut self, h: &mut HeapAlloc) -> Result<ExitStatus, DriverError> {
        self.send_writ(h, Writ::Live(Live::Exit(0)))?;
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
