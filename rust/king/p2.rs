//! The king's side of protocol P2 (Vere 4.x; king-protocol.md §1.3, §3.12, §4.3): spawn `mars boot --snap-dir` with
//! one `[%boot pill vent more]` frame and check that it exits 0, then spawn `mars work --snap-dir`, read its `%ripe`,
//! and send tasks, checking every reply's shape as it comes. In P2 the serf owns the event log, so this king keeps
//! none: it only counts the events it was told are committed.

use super::driver::{render_tank, Chatter, DriverError};
use crate::noun::{HeapAlloc, Noun, D, T};
use crate::protocol::newt::{write_frame, NewtReader};
use crate::protocol::p2::{Boot, Live, PeekReply, Plea, PokeReply, Quiz, Writ, FAKE};
use crate::serial::{cue_bytes, jam_to_bytes};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};

fn err<T>(msg: impl Into<String>) -> Result<T, DriverError> {
    Err(DriverError(msg.into()))
}

fn oom(_: crate::noun::Oom) -> DriverError {
    DriverError("out of memory building a task".into())
}

/// How to spawn the P2 subcommands.
#[derive(Clone, Debug)]
pub struct P2Options {
    /// The `mars` binary.
    pub bin: PathBuf,
    pub pier: PathBuf,
    /// `--runtime-config` (P2 flag meanings, §1.2).
    pub flags: u32,
    pub loom_bits: u8,
    pub snap_time: u64,
    pub play_until: Option<u64>,
    /// Capture the serf's stderr instead of inheriting it.
    pub capture_stderr: bool,
    /// `MARS_SNAPSHOT` for the serf (inherited if `None`).
    pub snapshot: Option<String>,
    /// Emulate a full disk: the serf runs under `RLIMIT_FSIZE` of this many bytes (it ignores `SIGXFSZ`, so a write
    /// past the limit fails with `EFBIG`).
    pub file_size_limit: Option<u64>,
}

impl P2Options {
    pub fn new(bin: &Path, pier: &Path) -> P2Options {
        P2Options {
            bin: bin.to_owned(),
            pier: pier.to_owned(),
            flags: 0,
            loom_bits: 31,
            snap_time: 120,
            play_until: None,
            capture_stderr: false,
            snapshot: None,
            file_size_limit: None,
        }
    }

    fn common(&self, cmd: &mut Command) {
        cmd.arg("--snap-dir")
            .arg(&self.pier)
            .args(["--runtime-config", &self.flags.to_string()])
            .args(["--temporary-cache-size", "50000"])
            .args(["--loom", &self.loom_bits.to_string()])
            .args(["--toss", "0"])
            .args(["--persistent-cache-size", "50000"]);
        if let Some(s) = &self.snapshot {
            cmd.env("MARS_SNAPSHOT", s);
        }
        if let Some(limit) = self.file_size_limit {
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
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if self.capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            });
    }

    /// `<bin> boot --snap-dir ... --lmdb-map-size ...`, as Vere's king builds it.
    pub fn boot_command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("boot");
        self.common(&mut cmd);
        cmd.args(["--lmdb-map-size", "1099511627776"]);
        cmd
    }

    /// `<bin> work --snap-dir ... --snap-time ... --lmdb-map-size ... [--play-until N]`.
    pub fn work_command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("work");
        self.common(&mut cmd);
        cmd.args(["--snap-time", &self.snap_time.to_string()])
            .args(["--lmdb-map-size", "1099511627776"]);
        if let Some(n) = self.play_until {
            cmd.args(["--play-until", &n.to_string()]);
        }
        cmd
    }
}

/// Text of the `%slog`s and `%flog`s a process sent.
#[derive(Default, Debug)]
pub struct Chat {
    pub slogs: Vec<(u32, String)>,
    pub flogs: Vec<String>,
}

impl Chat {
    fn hear(&mut self, plea: &Plea, chatter: Chatter) -> bool {
        match plea {
            Plea::Slog { pri, tank } => {
                let text = render_tank(*tank);
                match chatter {
                    Chatter::Print => eprint!("[slog {pri}] {text}\r\n"),
                    Chatter::Collect => self.slogs.push((*pri, text)),
                }
                true
            }
            Plea::Flog(cord) => {
                let text = cord
                    .as_atom()
                    .map(|a| String::from_utf8_lossy(&a.to_bytes()).into_owned())
                    .unwrap_or_default();
                match chatter {
                    Chatter::Print => eprint!("{text}"),
                    Chatter::Collect => self.flogs.push(text),
                }
                true
            }
            _ => false,
        }
    }
}

/// What a finished `boot` left.
pub struct Booted {
    pub status: ExitStatus,
    pub chat: Chat,
    /// Captured stderr (with `capture_stderr`).
    pub stderr: String,
}

/// The boot frame for a fake ship from a pill file's bytes: `[%boot [pill ~] [%fake ship] ~]`.
pub fn boot_frame(h: &mut HeapAlloc, pill: &[u8], ship: u128) -> Result<Noun, DriverError> {
    let p = crate::noun::Atom::from_bytes(h, pill)
        .map_err(oom)?
        .as_noun();
    let who = crate::noun::Atom::from_u128(h, ship)
        .map_err(oom)?
        .as_noun();
    let vent = T(h, &[FAKE, who]).map_err(oom)?;
    Boot {
        pill: p,
        arvo: None,
        vent,
        more: D(0),
    }
    .encode(h)
    .map_err(oom)
}

/// Run `boot` with the frame `frame` (any noun: tests send bad ones), reading its chatter until it exits.
pub fn boot_with(o: &P2Options, frame: Noun, chatter: Chatter) -> Result<Booted, DriverError> {
    let mut child = o
        .boot_command()
        .spawn()
        .map_err(|e| DriverError(format!("spawning {}: {e}", o.bin.display())))?;
    {
        let mut input = BufWriter::new(child.stdin.take().expect("piped stdin"));
        write_frame(&mut input, &jam_to_bytes(frame))
            .map_err(|e| DriverError(format!("writing the boot frame: {e}")))?;
    }
    let stderr = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            use std::io::Read;
            let _ = e.read_to_string(&mut text);
        }
        text
    });
    let mut out = NewtReader::new(child.stdout.take().expect("piped stdout"));
    let mut chat = Chat::default();
    let mut h = HeapAlloc::new();
    loop {
        match out.read_frame() {
            Ok(body) => {
                let n =
                    cue_bytes(&mut h, &body).map_err(|e| DriverError(format!("bad plea: {e}")))?;
                let plea = Plea::decode(n).map_err(|e| DriverError(format!("bad plea: {e}")))?;
                if !chat.hear(&plea, chatter) {
                    let _ = child.kill();
                    return err(format!(
                        "boot sent {}; only %slog and %flog are allowed",
                        plea.kind()
                    ));
                }
            }
            Err(crate::protocol::newt::FrameError::Eof) => break,
            Err(e) => return err(format!("reading from boot: {e}")),
        }
    }
    let status = child
        .wait()
        .map_err(|e| DriverError(format!("waiting for boot: {e}")))?;
    let stderr = err_thread.join().unwrap_or_default();
    Ok(Booted {
        status,
        chat,
        stderr,
    })
}

/// Boot a fake ship from `pill` and require exit status 0.
pub fn boot(
    o: &P2Options,
    pill: &[u8],
    ship: u128,
    chatter: Chatter,
) -> Result<Booted, DriverError> {
    let mut h = HeapAlloc::new();
    let frame = boot_frame(&mut h, pill, ship)?;
    let b = boot_with(o, frame, chatter)?;
    if !b.status.success() {
        return err(format!("boot exited with {}: {}", b.status, b.stderr));
    }
    Ok(b)
}

/// Run `work` to completion without talking to it (for `--play-until`, which exits before `%ripe`, and for argv
/// errors).
pub fn run_work(o: &P2Options) -> Result<Output, DriverError> {
    let mut cmd = o.work_command();
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    cmd.output()
        .map_err(|e| DriverError(format!("running {}: {e}", o.bin.display())))
}

/// A running `work` process.
pub struct WorkProcess {
    child: Child,
    input: BufWriter<ChildStdin>,
    output: NewtReader<ChildStdout>,
    /// The event the king believes the serf is at: `%ripe`'s, plus every `%poke` answered `%.y`.
    pub event: u64,
    /// `%ripe`'s mug.
    pub mug: u32,
    pub who: u128,
    pub fake: bool,
    pub chatter: Chatter,
    pub chat: Chat,
}

impl WorkProcess {
    /// Spawn `work` and read its `%ripe` (after its replay).
    pub fn spawn(o: &P2Options, chatter: Chatter) -> Result<WorkProcess, DriverError> {
        let mut child = o
            .work_command()
            .spawn()
            .map_err(|e| DriverError(format!("spawning {}: {e}", o.bin.display())))?;
        let input = BufWriter::new(child.stdin.take().expect("piped stdin"));
        let output = NewtReader::new(child.stdout.take().expect("piped stdout"));
        let mut w = WorkProcess {
            child,
            input,
            output,
            event: 0,
            mug: 0,
            who: 0,
            fake: false,
            chatter,
            chat: Chat::default(),
        };
        let mut h = HeapAlloc::new();
        match w.recv(&mut h)? {
            Plea::Ripe {
                who,
                fake,
                eve,
                mug,
                ..
            } => {
                if eve == 0 || mug == 0 {
                    return err(format!(
                        "%ripe at event {eve} with mug {mug:#x}: a P2 serf has a kernel"
                    ));
                }
                w.event = eve;
                w.mug = mug;
                w.who = who;
                w.fake = fake;
            }
            other => return err(format!("expected %ripe first, got {}", other.kind())),
        }
        Ok(w)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send one task noun (well-formed or not).
    pub fn send(&mut self, writ: Noun) -> Result<(), DriverError> {
        write_frame(&mut self.input, &jam_to_bytes(writ))
            .map_err(|e| DriverError(format!("writing to the serf: {e}")))
    }

    pub fn send_writ(&mut self, h: &mut HeapAlloc, writ: Writ) -> Result<(), DriverError> {
        let n = writ.encode(h).map_err(oom)?;
        self.send(n)
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        self.input
            .write_all(bytes)
            .and_then(|_| self.input.flush())
            .map_err(|e| DriverError(format!("writing to the serf: {e}")))
    }

    /// Read gifts until one that is not `%slog`/`%flog`.
    pub fn recv(&mut self, h: &mut HeapAlloc) -> Result<Plea, DriverError> {
        loop {
            let body = self
                .output
                .read_frame()
                .map_err(|e| DriverError(format!("reading from the serf: {e}")))?;
            let n = cue_bytes(h, &body).map_err(|e| DriverError(format!("bad plea: {e}")))?;
            let plea = Plea::decode(n).map_err(|e| DriverError(format!("bad plea: {e}")))?;
            if !self.chat.hear(&plea, self.chatter) {
                return Ok(plea);
            }
        }
    }

    /// Read the reply to a `%poke` sent earlier.
    pub fn recv_poke(&mut self, h: &mut HeapAlloc) -> Result<PokeReply, DriverError> {
        match self.recv(h)? {
            Plea::Poke(r) => {
                if let PokeReply::Done(_) = r {
                    self.event += 1;
                }
                Ok(r)
            }
            other => err(format!("expected a %poke reply, got {}", other.kind())),
        }
    }

    /// `[%poke mil ovum]`.
    pub fn poke(
        &mut self,
        h: &mut HeapAlloc,
        mil: u64,
        ovum: Noun,
    ) -> Result<PokeReply, DriverError> {
        self.send_writ(h, Writ::Poke { mil, ovum })?;
        self.recv_poke(h)
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

    /// `[%sync %save ~]`: returns `[%sync eve mug]`'s event and mug once the snapshot is durable.
    pub fn sync(&mut self, h: &mut HeapAlloc) -> Result<(u64, u32), DriverError> {
        self.send_writ(h, Writ::Sync)?;
        match self.recv(h)? {
            Plea::Sync { eve, mug } => {
                if eve != self.event {
                    return err(format!(
                        "%sync at event {eve}, but the king counted {}",
                        self.event
                    ));
                }
                Ok((eve, mug))
            }
            other => err(format!("expected a %sync reply, got {}", other.kind())),
        }
    }

    fn live(&mut self, h: &mut HeapAlloc, live: Live) -> Result<(), DriverError> {
        self.send_writ(h, Writ::Live(live))?;
        match self.recv(h)? {
            Plea::Live => Ok(()),
            other => err(format!("expected [%live ~], got {}", other.kind())),
        }
    }

    pub fn pack(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        self.live(h, Live::Pack)
    }

    pub fn meld(&mut self, h: &mut HeapAlloc) -> Result<(), DriverError> {
        self.live(h, Live::Meld(None))
    }

    /// `[%quiz %quac ~]`: the memory report.
    pub fn quac(&mut self, h: &mut HeapAlloc) -> Result<Noun, DriverError> {
        self.send_writ(h, Writ::Quiz(Quiz::Quac))?;
        match self.recv(h)? {
            Plea::Quac(r) => Ok(r),
            other => err(format!("expected %quiz %quac, got {}", other.kind())),
        }
    }

    /// `[%quiz %quic ~]`: open and idle bytes.
    pub fn quic(&mut self, h: &mut HeapAlloc) -> Result<(u64, u64), DriverError> {
        self.send_writ(h, Writ::Quiz(Quiz::Quic))?;
        match self.recv(h)? {
            Plea::Quic { open, idle } => Ok((open, idle)),
            other => err(format!("expected %quiz %quic, got {}", other.kind())),
        }
    }

    /// `[%exit ~]`, then wait: the serf commits, saves and exits 0.
    pub fn exit(mut self, h: &mut HeapAlloc) -> Result<ExitStatus, DriverError> {
        self.send_writ(h, Writ::Exit)?;
        self.wait()
    }

    /// Close stdin and wait.
    pub fn wait(mut self) -> Result<ExitStatus, DriverError> {
        drop(self.input);
        // Drain what is left so the serf never blocks writing.
        let mut h = HeapAlloc::new();
        while let Ok(body) = self.output.read_frame() {
            if let Ok(n) = cue_bytes(&mut h, &body) {
                if let Ok(p) = Plea::decode(n) {
                    self.chat.hear(&p, self.chatter);
                }
            }
        }
        self.child
            .wait()
            .map_err(|e| DriverError(format!("waiting for the serf: {e}")))
    }

    /// Close stdin, wait, and collect the captured stderr.
    pub fn wait_with_stderr(self) -> Result<(ExitStatus, String), DriverError> {
        let WorkProcess {
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

    /// SIGKILL and reap.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
