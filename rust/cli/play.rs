//! `mars play`: replay a pier's event log, checking every stored mug — the runtime engineer's way to find where a serf
//! diverges from Vere.

use crate::eventlog::{EventLog, OpenOptions};
use crate::interpreter::Mote;
use crate::kernel::{new_context, Kernel};
use crate::noun::{list, Noun};
use crate::serial::{cue_bytes, jam_to_bytes};
use crate::snapshot::StoreKind;
use crate::text::urbit::{render_path, render_term};
use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SnapshotKind {
    /// The persistent arena in `<pier>/.urb/chk/mars/`.
    Pma,
    /// The double-buffered jam store in `<pier>/.urb/chk/`.
    Jam,
    /// Start from the snapshot's absence and save nothing.
    None,
}

impl SnapshotKind {
    fn store(self) -> StoreKind {
        match self {
            SnapshotKind::Pma => StoreKind::Pma,
            SnapshotKind::Jam => StoreKind::Jam,
            SnapshotKind::None => StoreKind::Memory,
        }
    }
}

#[derive(Args)]
pub struct PlayArgs {
    /// The pier directory (holding .urb/log).
    pier: PathBuf,
    /// Ignore any snapshot: run the lifecycle on events 1..life and replay everything after.
    #[arg(long)]
    from_scratch: bool,
    /// Stop after this event.
    #[arg(long, value_name = "N")]
    to: Option<u64>,
    /// Where to load the starting state from and save the final one [default: the store `mars serf` uses:
    /// `$MARS_SNAPSHOT`, else pma].
    #[arg(long, value_enum)]
    snapshot: Option<SnapshotKind>,
    /// Report mug mismatches but keep going.
    #[arg(long)]
    soft_mugs: bool,
    /// Write the jam of the kernel after event N to FILE.
    #[arg(long, num_args = 2, value_names = ["N", "FILE"])]
    dump_at: Option<Vec<String>>,
    /// Write a Chrome-trace JSON file of per-event times.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// NockStack size in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 8192)]
    stack_mib: usize,
}

/// Exit status when replay stops at a mismatch or a failed event.
const EXIT_DIVERGED: i32 = 1;
/// Exit status after SIGINT or SIGTERM stopped the replay (the shell's convention for SIGINT).
const EXIT_INTERRUPTED: i32 = 130;

struct Progress {
    tty: bool,
    total: u64,
    start: Instant,
    last: Instant,
}

impl Progress {
    fn tick(&mut self, done: u64, event: u64) {
        let now = Instant::now();
        if now.duration_since(self.last).as_millis() < 250 && done < self.total {
            return;
        }
        self.last = now;
        let secs = now.duration_since(self.start).as_secs_f64().max(1e-9);
        let rate = done as f64 / secs;
        let eta = if rate > 0.0 {
            (self.total - done) as f64 / rate
        } else {
            0.0
        };
        if self.tty {
            eprint!(
                "\r  {done}/{} events (at {event}), {rate:.0} ev/s, ETA {eta:.0} s   ",
                self.total
            );
        } else {
            eprintln!(
                "play: {done}/{} events (at {event}), {rate:.0} ev/s, ETA {eta:.0} s",
                self.total
            );
        }
    }

    fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

/// `date wire %tag` of a `[now [wire card]]` job, for reports.
fn describe(job: Noun) -> String {
    let Some(ovum) = job.tail() else {
        return "not a [now ovum] job".into();
    };
    let wire = ovum.head().map(render_path).unwrap_or_else(|| "?".into());
    let tag = ovum
        .tail()
        .and_then(|c| c.head())
        .map(render_term)
        .unwrap_or_else(|| "?".into());
    format!("wire {wire}, card %{tag}")
}

pub fn play(a: PlayArgs) -> Result<i32, String> {
    let log = EventLog::open_dir(
        &crate::eventlog::log_dir(&a.pier),
        OpenOptions {
            no_lock: true,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let meta = *log.meta();
    let last = log
        .last()
        .map_err(|e| e.to_string())?
        .ok_or("the event log is empty")?;
    match log.check_contiguous().map_err(|e| e.to_string())? {
        Some((1, _)) => {}
        Some((first, _)) => return Err(format!("the event log starts at event {first}, not 1")),
        None => return Err("the event log is empty".into()),
    }
    let to = a.to.unwrap_or(last).min(last);
    let dump_at = match &a.dump_at {
        Some(v) => Some((
            v[0].parse::<u64>()
                .map_err(|_| format!("--dump-at: bad event number {:?}", v[0]))?,
            PathBuf::from(&v[1]),
        )),
        None => None,
    };
    let store = match a.snapshot {
        Some(kind) => kind.store(),
        None => StoreKind::from_env()?,
    };
    let ctx = new_context(a.stack_mib << 20, 50_000)
        .map_err(|e| format!("cannot reserve the NockStack: {e}"))?;
    // SIGUSR1 prints the progress and memory report (as in the serf) instead of killing a long replay.
    crate::interpreter::signals::install_signal_flags(&ctx.stop)
        .map_err(|e| format!("installing signal handlers: {e}"))?;
    let mut k = Kernel::new(ctx, store.open(&a.pier, false));
    k.ctx.jets.timing = a.trace.is_some();
    // Loading also tells the jam store which slot is older, so the final save never overwrites the newest one.
    if store != StoreKind::Memory && k.restore().map_err(|e| e.to_string())? {
        let s = *k.state();
        if a.from_scratch && store == StoreKind::Pma && s.event > to {
            return Err(format!(
                "the persistent arena holds event {}, and an arena never goes back to an earlier event: replay \
                 from scratch to at least event {} (or with --snapshot none or jam), or remove {} first",
                s.event,
                s.event,
                a.pier.join(".urb/chk/mars").display()
            ));
        }
        if a.from_scratch {
            eprintln!(
                "play: ignoring the snapshot at event {} (--from-scratch)",
                s.event
            );
            k.forget();
        } else {
            eprintln!("play: snapshot at event {} (mug {:08x})", s.event, s.mug);
        }
    }
    if k.state().event > last {
        return Err(format!(
            "the snapshot (event {}) is ahead of the log (event {last})",
            k.state().event
        ));
    }
    let mut trace = Vec::new();
    let t0 = Instant::now();
    if !k.state().has_kernel() {
        if meta.life == 0 || meta.life > last {
            return Err(format!("bad life {} for a log of {last} events", meta.life));
        }
        let mut boot = Vec::new();
        for e in log.range(1, meta.life).map_err(|e| e.to_string())? {
            let e = e.map_err(|e| e.to_string())?;
            boot.push(
                cue_bytes(&mut k.ctx.stack, &e.jam)
                    .map_err(|err| format!("event {}: {err}", e.number))?,
            );
        }
        let lit = list(&mut k.ctx.stack, &boot).map_err(|e| e.to_string())?;
        let t = Instant::now();
        k.boot(lit).map_err(|e| {
            format!(
                "the lifecycle on events 1..{} failed: %{}",
                meta.life,
                e.mote.name()
            )
        })?;
        eprintln!(
            "play: lifecycle on events 1..{} done in {:.1} ms, kernel mug {:08x}",
            meta.life,
            t.elapsed().as_secs_f64() * 1e3,
            k.state().mug
        );
        trace.push((
            "lifecycle".to_string(),
            t.duration_since(t0).as_micros(),
            t.elapsed().as_micros(),
        ));
        k.settle(&mut ()).map_err(|e| e.to_string())?;
    }
    let start = k.state().event;
    let total = to.saturating_sub(start);
    let mut progress = Progress {
        tty: std::io::stderr().is_terminal(),
        total,
        start: Instant::now(),
        last: Instant::now(),
    };
    let (mut checked, mut mismatches, mut done) = (0u64, 0u64, 0u64);
    let mut status = 0;
    if start < to {
        for e in log.range(start + 1, to).map_err(|e| e.to_string())? {
            let e = e.map_err(|e| e.to_string())?;
            let job = cue_bytes(&mut k.ctx.stack, &e.jam)
                .map_err(|err| format!("event {}: {err}", e.number))?;
            let t = Instant::now();
            match k.poke(0, job) {
                Ok(_effects) => {}
                Err(err) if matches!(err.mote, Mote::Intr | Mote::Term) => {
                    progress.finish();
                    eprintln!(
                        "play: interrupted (%{}) in event {}; the state at event {} is kept",
                        err.mote.name(),
                        e.number,
                        k.state().event
                    );
                    status = EXIT_INTERRUPTED;
                    break;
                }
                Err(err) => {
                    progress.finish();
                    eprintln!(
                        "play: event {} failed: %{} ({})",
                        e.number,
                        err.mote.name(),
                        describe(job)
                    );
                    status = EXIT_DIVERGED;
                    break;
                }
            }
            trace.push((
                format!("event {}", e.number),
                t.duration_since(t0).as_micros(),
                t.elapsed().as_micros(),
            ));
            done += 1;
            if e.mug != 0 {
                checked += 1;
                if e.mug != k.state().mug {
                    mismatches += 1;
                    progress.finish();
                    eprintln!(
                        "play: mug mismatch at event {}: expected {:08x}, computed {:08x} ({})",
                        e.number,
                        e.mug,
                        k.state().mug,
                        describe(job)
                    );
                    if !a.soft_mugs {
                        status = EXIT_DIVERGED;
                        break;
                    }
                }
            }
            if let Some((n, file)) = &dump_at {
                if *n == e.number {
                    std::fs::write(file, jam_to_bytes(k.state().kernel))
                        .map_err(|err| format!("{}: {err}", file.display()))?;
                    eprintln!(
                        "play: wrote the kernel after event {n} to {}",
                        file.display()
                    );
                }
            }
            k.settle(&mut ()).map_err(|e| e.to_string())?;
            progress.tick(done, e.number);
        }
    }
    progress.finish();
    let secs = t0.elapsed().as_secs_f64();
    let state = *k.state();
    eprintln!(
        "play: replayed {done} events to event {} in {secs:.3} s ({:.0} ev/s); mugs checked {checked}, mismatches {mismatches}; kernel mug {:08x}; jet hits {}",
        state.event,
        done as f64 / secs.max(1e-9),
        state.mug,
        k.ctx.stats.jet_hits
    );
    if store != StoreKind::Memory {
        k.save().map_err(|e| e.to_string())?;
        eprintln!("play: saved a snapshot at event {}", state.event);
    }
    if let Some(path) = &a.trace {
        let jets: Vec<(String, u64, u64)> = k
            .ctx
            .jets
            .used_jets()
            .into_iter()
            .map(|(p, s)| (p.to_string(), s.calls, s.nanos / 1000))
            .collect();
        write_trace(path, &trace, &jets)?;
    }
    Ok(status)
}

/// A Chrome trace (`chrome://tracing`, Perfetto): one complete event per replayed event on thread 1, and on thread 2
/// one span per jet whose length is the total time spent in it (with its call count), laid end to end.
fn write_trace(
    path: &PathBuf,
    spans: &[(String, u128, u128)],
    jets: &[(String, u64, u64)],
) -> Result<(), String> {
    let mut items: Vec<String> = spans
        .iter()
        .map(|(name, ts, dur)| {
            format!("{{\"name\":\"{name}\",\"cat\":\"event\",\"ph\":\"X\",\"ts\":{ts},\"dur\":{dur},\"pid\":1,\"tid\":1}}")
        })
        .collect();
    let mut at = 0u64;
    for (name, calls, us) in jets {
        items.push(format!(
            "{{\"name\":\"jet {name}\",\"cat\":\"jet\",\"ph\":\"X\",\"ts\":{at},\"dur\":{us},\"pid\":1,\"tid\":2,\"args\":{{\"calls\":{calls}}}}}"
        ));
        at += us.max(&1);
    }
    let out = format!("[\n{}\n]\n", items.join(",\n"));
    let mut f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(out.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}
