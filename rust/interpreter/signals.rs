//! Asynchronous stops: SIGINT/SIGTERM (a flag checked at calls and loop back-edges) and the `mil` CPU-time timer.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

/// Nothing pending.
const NONE: u8 = 0;
/// SIGINT arrived during a computation.
pub const INTR: u8 = 1;
/// SIGTERM arrived during a computation.
pub const TERM: u8 = 2;
/// SIGUSR1: print a progress report (jet counters, interpreter statistics) on stderr and go on.
pub const REPORT: u8 = 3;

/// A flag the interpreter polls; signal handlers and timers set it.
#[derive(Clone, Default)]
pub struct StopFlag(Arc<AtomicU8>);

impl StopFlag {
    pub fn new() -> StopFlag {
        StopFlag::default()
    }

    #[inline(always)]
    pub fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, why: u8) {
        self.0.store(why, Ordering::Relaxed);
    }

    pub fn clear(&self) {
        self.0.store(NONE, Ordering::Relaxed);
    }

    /// The shared atomic, for signal handlers.
    pub fn atomic(&self) -> Arc<AtomicU8> {
        self.0.clone()
    }
}

/// Route SIGINT and SIGTERM to `flag` (only meaningful while a computation runs; the serf clears the flag when idle,
/// so a signal that arrives between events is ignored), and SIGUSR1 to a report request. Call it before any thread
/// is spawned: the signals are also unblocked here, and threads inherit the mask.
pub fn install_signal_flags(flag: &StopFlag) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    unblock(&[SIGINT, SIGTERM, libc::SIGUSR1, libc::SIGVTALRM])?;
    let a = flag.atomic();
    // SAFETY: the handler only performs an atomic store, which is async-signal-safe.
    unsafe {
        signal_hook::low_level::register(SIGINT, move || a.store(INTR, Ordering::Relaxed))?;
    }
    let b = flag.atomic();
    // SAFETY: as above.
    unsafe {
        signal_hook::low_level::register(SIGTERM, move || b.store(TERM, Ordering::Relaxed))?;
    }
    let c = flag.atomic();
    // SAFETY: as above; a report never overrides a pending stop.
    unsafe {
        signal_hook::low_level::register(signal_hook::consts::SIGUSR1, move || {
            let _ = c.compare_exchange(NONE, REPORT, Ordering::Relaxed, Ordering::Relaxed);
        })?;
    }
    Ok(())
}

/// Unblock `signals` in the calling thread. A mask is inherited across `exec`, so a parent that blocked SIGUSR1
/// (some process supervisors and CI runners do) would otherwise leave the handlers installed but never run.
fn unblock(signals: &[libc::c_int]) -> std::io::Result<()> {
    // SAFETY: an all-zero sigset_t is a valid object for sigemptyset to initialise.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live sigset_t owned by this frame; the signal numbers are valid constants.
    let rc = unsafe {
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut())
    };
    if rc != 0 {
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

/// Set by SIGVTALRM: the armed CPU-time timer expired. Process-wide, like the timer itself.
pub static ALARM: AtomicBool = AtomicBool::new(false);

/// Arm (or with `mil` = 0, disarm) a CPU-time timer that raises [`ALARM`] after `mil` milliseconds, as Vere does with
/// ITIMER_VIRTUAL.
pub fn arm_cpu_timer(mil: u64) -> std::io::Result<()> {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    let mut result = Ok(());
    INSTALLED.call_once(|| {
        // SAFETY: the handler only performs an atomic store, which is async-signal-safe.
        result = unsafe {
            signal_hook::low_level::register(libc::SIGVTALRM, || {
                ALARM.store(true, Ordering::Relaxed)
            })
        }
        .map(|_| ());
    });
    result?;
    if mil > 0 {
        unblock(&[libc::SIGVTALRM])?;
    }
    ALARM.store(false, Ordering::Relaxed);
    let tv = libc::timeval {
        tv_sec: (mil / 1000) as libc::time_t,
        tv_usec: ((mil % 1000) * 1000) as libc::suseconds_t,
    };
    let it = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: tv,
    };
    // SAFETY: setitimer with valid pointers; a null old-value pointer is allowed.
    let rc = unsafe { libc::setitimer(libc::ITIMER_VIRTUAL, &it, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
