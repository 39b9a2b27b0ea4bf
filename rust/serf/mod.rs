//! `mars serf`: the process Urbit's king spawns and drives over stdin/stdout (king-protocol.md, protocol P1).
//!
//! Start-up: parse argv (§1.1), take the protocol descriptors private (§1.4), build the [`Kernel`] and load the
//! snapshot (or a rock), then run the protocol generation's loop on a thread with a large native stack. The loop
//! (`p1.rs`) turns writs into the generation-independent operations of `ops.rs`, which are [`Kernel`] calls, and
//! their outcomes into pleas. Diagnostics go to stderr with `\r\n` line ends.

pub mod args;
mod idle;
mod ops;
mod output;
mod p1;
mod trace;

pub use args::{Flags, SerfArgs};

use crate::interpreter::signals;
use crate::kernel::{new_context, Kernel};
use crate::snapshot::StoreKind;
use ops::{Fatal, Serf};
use output::{Output, SerfSlog};
use std::cell::RefCell;
use std::fs::File;
use std::os::fd::FromRawFd;
use std::rc::Rc;

/// Hoon kelvin reported in `%ripe` (Vere 1.16's).
pub const HOON_KELVIN: u8 = 141;
/// Nock kelvin reported in `%ripe`.
pub const NOCK_KELVIN: u8 = 4;

/// Entry point: `args` are the arguments after `serf`. Returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let args = match args::parse(args) {
        Ok(a) => a,
        Err(e) => {
            eprint!("mars serf: {e}\r\n");
            return 1;
        }
    };
    init_tracing(args.flags.verbose());
    // SIGPIPE as Vere; SIGXFSZ too, so that a write past a file-size limit (`ulimit -f`) fails with EFBIG and is
    // reported like a full disk instead of killing the serf with a core dump.
    // SAFETY: setting a signal disposition to SIG_IGN is always sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let (input, output) = match take_protocol_fds() {
        Ok(p) => p,
        Err(e) => {
            eprint!("mars serf: cannot set up the protocol descriptors: {e}\r\n");
            return 1;
        }
    };
    let thread = std::thread::Builder::new()
        .name("serf".into())
        .stack_size(crate::interpreter::THREAD_STACK_BYTES)
        .spawn(move || run(args, input, output));
    match thread.map(|t| t.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => {
            eprint!("mars serf: internal error (panic); exiting\r\n");
            1
        }
        Err(e) => {
            eprint!("mars serf: cannot start the serf thread: {e}\r\n");
            1
        }
    }
}

/// Writes to stderr with `\n` turned into `\r\n` (the king shows stderr on a raw-mode terminal).
struct CrLfStderr;

impl std::io::Write for CrLfStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len() + 8);
        for &b in buf {
            if b == b'\n' && out.last() != Some(&b'\r') {
                out.push(b'\r');
            }
            out.push(b);
        }
        std::io::stderr().write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Route `tracing` output to stderr with CR LF line ends: warnings and errors, and debug output when verbose.
fn init_tracing(verbose: bool) {
    let level = if verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::WARN
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(|| CrLfStderr)
        .with_max_level(level)
        .try_init();
}

/// Duplicate fds 0 and 1 to private close-on-exec descriptors, then point fd 0 at /dev/null and fd 1 at stderr, so
/// that nothing but the framer can ever write to the protocol pipe.
fn take_protocol_fds() -> std::io::Result<(File, File)> {
    let err = std::io::Error::last_os_error;
    // SAFETY: plain descriptor syscalls on fds 0, 1 and 2, which the king always provides; every result is checked,
    // and the new descriptors are owned exactly once by the Files built from them.
    unsafe {
        let inp = libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3);
        if inp < 0 {
            return Err(err());
        }
        let out = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        if out < 0 {
            return Err(err());
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if null < 0 {
            return Err(err());
        }
        if libc::dup2(null, 0) < 0 {
            return Err(err());
        }
        libc::close(null);
        if libc::dup2(2, 1) < 0 {
            return Err(err());
        }
        Ok((File::from_raw_fd(inp), File::from_raw_fd(out)))
    }
}

/// Build the kernel, load its state, and serve the king.
fn run(args: SerfArgs, input: File, output: File) -> i32 {
    let mut ctx = match new_context(1usize << args.loom_bits, args.cache_size as usize) {
        Ok(c) => c,
        Err(e) => {
            eprint!(
                "mars serf: cannot reserve a 2^{}-byte NockStack: {e}\r\n",
                args.loom_bits
            );
            return 1;
        }
    };
    let out = Rc::new(RefCell::new(Output::new(output)));
    ctx.slog = Box::new(SerfSlog {
        out: out.clone(),
        quiet: args.flags.quiet(),
    });
    if let Err(e) = signals::install_signal_flags(&ctx.stop) {
        eprint!("mars serf: cannot install signal handlers: {e}\r\n");
        return 1;
    }
    let store = match StoreKind::from_env() {
        Ok(kind) => kind.open(&args.pier, args.flags.dry_run()),
        Err(e) => {
            eprint!("mars serf: {e}\r\n");
            return 1;
        }
    };
    let mut kernel = Kernel::new(ctx, store);
    if let Err(e) = kernel.restore() {
        eprint!("mars serf: snapshot: {e}\r\n");
        return 1;
    }
    if args.at_event != 0 {
        if let Err(e) = kernel.restore_rock(&args.pier, args.at_event) {
            eprint!("mars serf: rock: {e}\r\n");
            return 1;
        }
    }
    // Count kicks of registered cores that run as Nock, for the SIGUSR1 progress report.
    kernel.ctx.jets.timing = std::env::var("MARS_JET_STATS").is_ok_and(|v| v == "1");
    kernel.ctx.jets.verbose = args.flags.verbose();
    let trace = if args.flags.trace() {
        match trace::TraceFile::create(&args.pier) {
            Ok(t) => Some(t),
            Err(e) => {
                eprint!("mars serf: cannot create the trace file: {e}\r\n");
                None
            }
        }
    } else {
        None
    };
    if args.flags.verbose() {
        let state = kernel.state();
        eprint!(
            "mars serf: pid {}, pier {}, at event {} (mug {:#x})\r\n",
            std::process::id(),
            args.pier.display(),
            state.event,
            state.mug
        );
    }
    let input = idle::WatchedInput::new(input, kernel.ctx.stop.clone());
    let mut serf = Serf::new(kernel, out, args, trace);
    match p1::serve(&mut serf, input) {
        Ok(code) => code as i32,
        Err(Fatal(msg)) => {
            eprint!("mars: {msg}\r\n");
            1
        }
    }
}
