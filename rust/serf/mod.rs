//! The process Urbit's king spawns and drives over stdin/stdout (king-protocol.md), in both protocol generations:
//! `mars serf` for P1 (Vere 1.16), `mars boot --snap-dir` and `mars work --snap-dir` for P2 (Vere 4.x).
//!
//! Start-up: parse argv (P1 §1.1: `args.rs`; P2 §1.3: `args_p2.rs`), take the protocol descriptors private (§1.4),
//! build the [`Kernel`] and load the snapshot (or a rock), then run the protocol generation's loop on a thread with a
//! large native stack. The loops (`p1.rs`, `p2.rs`) turn writs into the generation-independent operations of
//! `ops.rs`, which are [`Kernel`] calls, and their outcomes into pleas. In P2 the serf also owns the event log and
//! the pier lock (`p2.rs`) and assembles the boot sequence itself (`boot_seq.rs`). Diagnostics go to stderr with
//! `\r\n` line ends.

pub mod args;
pub mod args_p2;
mod boot_seq;
mod idle;
mod ops;
mod output;
mod p1;
mod p2;
mod trace;

pub use args::{Flags, SerfArgs};
pub use args_p2::{Mode, P2Args};
pub use p2::RUNTIME_VERSION;

use crate::interpreter::signals;
use crate::kernel::{new_context, Kernel};
use crate::snapshot::StoreKind;
use ops::{Fatal, Serf};
use output::{Output, SerfSlog, SharedOutput};
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
    serve_on_thread(args.flags.verbose(), move |input, output| {
        run(args, input, output)
    })
}

/// Entry point of the P2 subcommands (`mars boot --snap-dir ...`, `mars work --snap-dir ...`): `args` are the
/// arguments after the subcommand. A usage error exits 2; everything else as Vere's P2 serf (king-protocol.md §1.6).
pub fn main_p2(mode: Mode, args: &[String]) -> i32 {
    let args = match args_p2::parse(mode, args) {
        Ok(a) => a,
        Err(e) => {
            eprint!("mars {}: {e}\r\n", mode.name());
            return crate::cli::EXIT_USAGE;
        }
    };
    serve_on_thread(args.flags.verbose(), move |input, output| {
        run_p2(args, input, output)
    })
}

/// Set up the process as a serf (tracing, signals, private protocol descriptors) and run `serve` on a thread with
/// the interpreter's native stack.
fn serve_on_thread(verbose: bool, serve: impl FnOnce(File, File) -> i32 + Send + 'static) -> i32 {
    init_tracing(verbose);
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
        .spawn(move || serve(input, output));
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

/// Build the kernel on `pier` and load its own snapshot: the context, the slog sink on `out`, the signal flags,
/// the store named by `MARS_SNAPSHOT`.
fn kernel(
    pier: &std::path::Path,
    loom_bits: u8,
    cache_size: u32,
    quiet: bool,
    verbose: bool,
    dry_run: bool,
    out: &SharedOutput,
) -> Result<(Kernel, StoreKind), String> {
    let mut ctx = new_context(1usize << loom_bits, cache_size as usize)
        .map_err(|e| format!("cannot reserve a 2^{loom_bits}-byte NockStack: {e}"))?;
    ctx.slog = Box::new(SerfSlog {
        out: out.clone(),
        quiet,
    });
    signals::install_signal_flags(&ctx.stop)
        .map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let kind = StoreKind::from_env()?;
    let mut kernel = Kernel::new(ctx, kind.open(pier, dry_run));
    kernel.restore().map_err(|e| format!("snapshot: {e}"))?;
    // Count kicks of registered cores that run as Nock, for the SIGUSR1 progress report.
    kernel.ctx.jets.timing = std::env::var("MARS_JET_STATS").is_ok_and(|v| v == "1");
    kernel.ctx.jets.verbose = verbose;
    Ok((kernel, kind))
}

fn trace_file(pier: &std::path::Path, on: bool) -> Option<trace::TraceFile> {
    if !on {
        return None;
    }
    match trace::TraceFile::create(pier) {
        Ok(t) => Some(t),
        Err(e) => {
            eprint!("mars serf: cannot create the trace file: {e}\r\n");
            None
        }
    }
}

/// Build the kernel, load its state, and serve the king (P1).
fn run(args: SerfArgs, input: File, output: File) -> i32 {
    let out = Rc::new(RefCell::new(Output::new(output)));
    let (mut kernel, _) = match kernel(
        &args.pier,
        args.loom_bits,
        args.cache_size,
        args.flags.quiet(),
        args.flags.verbose(),
        args.flags.dry_run(),
        &out,
    ) {
        Ok(k) => k,
        Err(e) => {
            eprint!("mars serf: {e}\r\n");
            return 1;
        }
    };
    if args.at_event != 0 {
        if let Err(e) = kernel.restore_rock(&args.pier, args.at_event) {
            eprint!("mars serf: rock: {e}\r\n");
            return 1;
        }
    }
    let trace = trace_file(&args.pier, args.flags.trace());
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

/// Take the pier lock, build the kernel, and run `boot` or `work` (P2).
fn run_p2(args: P2Args, input: File, output: File) -> i32 {
    let name = args.mode.name();
    // Held until the process exits.
    let _lock = match p2::lock(&args.pier) {
        Ok(l) => l,
        Err(Fatal(msg)) => {
            eprint!("mars {name}: {msg}\r\n");
            return 1;
        }
    };
    let out = Rc::new(RefCell::new(Output::new(output)));
    let (mut kernel, store) = match kernel(
        &args.pier,
        args.loom_bits,
        args.cache_size,
        args.flags.quiet(),
        args.flags.verbose(),
        args.flags.dry_run(),
        &out,
    ) {
        Ok(k) => k,
        Err(e) => {
            eprint!("mars {name}: {e}\r\n");
            return 1;
        }
    };
    // P2 sizes the two caches apart, as Vere 4.x does: the temporary one per computation, the persistent one across
    // events.
    kernel
        .ctx
        .cache
        .set_limit(args.persistent_cache_size as usize);
    if args.flags.verbose() {
        let state = kernel.state();
        eprint!(
            "mars {name}: pid {}, pier {}, snapshot at event {} (mug {:#x})\r\n",
            std::process::id(),
            args.pier.display(),
            state.event,
            state.mug
        );
    }
    let trace = trace_file(&args.pier, args.flags.trace());
    let serf_args = SerfArgs {
        pier: args.pier.clone(),
        key: [0; 4],
        flags: args.flags.p1(),
        cache_size: args.cache_size,
        loom_bits: args.loom_bits,
        at_event: 0,
        win_handle: None,
    };
    let serf = Serf::new(kernel, out, serf_args, trace);
    match p2::run(serf, &args, store, input) {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            eprint!("mars: {msg}\r\n");
            1
        }
    }
}
