//! `mars boot`, `mars make-pill` and `mars bench-serf`: driving a real `mars serf` through the test king
//! (`mars boot --protocol 2`: a real `mars boot --snap-dir` / `mars work --snap-dir` through its P2 side).

use super::out::outln;
use crate::eventlog::{EventLog, Meta};
use crate::king::p2::{self as king_p2, P2Options, WorkProcess};
use crate::king::{
    cards, parse_pill, test_pill, BootOptions, Chatter, King, PeekReply, Pill, PlayReply,
    SpawnOptions, WorkReply,
};
use crate::noun::{list_iter, tas, HeapAlloc, Noun, D, T};
use crate::protocol::p1::{Plea, Writ};
use crate::protocol::p2::{PeekReply as P2PeekReply, PokeReply};
use crate::serf::args::MAX_LOOM_BITS;
use crate::serial::{cue_bytes, jam_to_bytes};
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The error of a `mars boot` ended by SIGINT or SIGTERM.
const INTERRUPTED: &str = "interrupted";

#[derive(Args)]
pub struct BootArgs {
    /// Pill file (`[%pill nam bot mod use]`); the project's own test pill if omitted.
    pill: Option<PathBuf>,
    /// Pier directory (created if missing; a temporary directory if omitted).
    #[arg(long, value_name = "DIR")]
    pier: Option<PathBuf>,
    /// Ship to boot as a fake ship: `~zod` or a number.
    #[arg(long, default_value = "~zod")]
    ship: String,
    /// Events to send after boot: one ovum `[wire card]` per line as noun text (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Serf flags (king-protocol.md §1.2).
    #[arg(long, default_value_t = 128)]
    flags: u32,
    /// Loom size (NockStack bytes) as a power of two, Vere's default. Reserved, not committed: the serf touches
    /// only what it uses (brass.pill's boot fits in 2^30).
    #[arg(long, default_value_t = 31)]
    loom: u8,
    /// Print the serf's memory report (its `SIGUSR1` report: NockStack per frame, caches, arena, resident memory)
    /// after the boot and before exit, and its resident and peak memory as the kernel counts them.
    #[arg(long)]
    stats: bool,
    /// Do not send the events a king's drivers send on start (`%wyrd %wack %verb`, `%blew %hail`, `%boat`, the
    /// `%born`s and `%live`).
    #[arg(long)]
    no_start: bool,
    /// Type this line into the dojo and press Enter (repeatable); what the terminal draws is printed.
    #[arg(long, value_name = "LINE")]
    dojo: Vec<String>,
    /// Scry the booted ship at `CARE/DESK/PATH` (a vane letter and care, a desk, a path), e.g. `cx/base/sys/kelvin`,
    /// and print the result (repeatable).
    #[arg(long, value_name = "SCRY")]
    peek: Vec<String>,
    /// Continue the ship in an existing `--pier` (without it, a PILL and a pier that holds a ship are refused, as
    /// Vere's `-c` refuses an existing pier).
    #[arg(long)]
    resume: bool,
    /// Protocol generation: 1 drives `mars serf` as Vere 1.16's king does (the king keeps a P1 log); 2 drives
    /// `mars boot --snap-dir` and `mars work --snap-dir` as Vere 4.x's king does (the serf keeps an epoch log).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    protocol: u8,
}

fn ship(s: &str) -> Result<u128, String> {
    match s {
        "~zod" | "zod" => Ok(0),
        _ => s
            .parse::<u128>()
            .map_err(|_| format!("--ship: {s:?}: give ~zod or a number")),
    }
}

fn own_binary() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot find the mars binary: {e}"))
}

/// Append the king's events from `from` (1-based) onward to the pier's P1 event log, with the mugs the serf reported
/// (`mugs[i]` for event `from + i`; 0 for boot events, which the king writes before anything is computed).
fn append_events(log: &mut EventLog, king: &King, from: u64, mugs: &[u32]) -> Result<(), String> {
    let jams: Vec<Vec<u8>> = king.log[(from - 1) as usize..]
        .iter()
        .map(|e| jam_to_bytes(*e))
        .collect();
    let batch = jams.iter().enumerate().map(|(i, j)| {
        (
            from + i as u64,
            mugs.get(i).copied().unwrap_or(0),
            j.as_slice(),
        )
    });
    log.append_batch(batch).map_err(|e| e.to_string())?;
    Ok(())
}

/// Read every event of an existing pier log into the king (for resuming), or `None` if the pier has no log yet.
fn read_log(king: &mut King, pier: &Path) -> Result<Option<EventLog>, String> {
    if !crate::eventlog::log_dir(pier).join("data.mdb").exists() {
        return Ok(None);
    }
    let log = EventLog::open_rw(pier).map_err(|e| e.to_string())?;
    let mut events = Vec::new();
    for e in log.iter().map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        let n = cue_bytes(&mut king.heap, &e.jam)
            .map_err(|err| format!("event {}: {err}", e.number))?;
        events.push(n);
    }
    king.log = events;
    Ok(Some(log))
}

/// Send one event with `%work`, log what the serf committed, and report it (every event if `verbose`, else only
/// failures). Returns the effects (`~` if the event failed), or an error without sending once `stop` is set (SIGINT,
/// SIGTERM).
fn send(
    stop: &AtomicBool,
    king: &mut King,
    log: Option<&mut EventLog>,
    ovum: Noun,
    verbose: bool,
) -> Result<Noun, String> {
    if stop.load(Ordering::Relaxed) {
        return Err(INTERRUPTED.into());
    }
    let t = Instant::now();
    let result = king.work(0, ovum).map_err(|e| e.to_string())?;
    if let (WorkReply::Done { eve, mug, .. } | WorkReply::Swap { eve, mug, .. }, Some(l)) =
        (&result, log)
    {
        append_events(l, king, *eve, &[*mug])?;
    }
    match result {
        WorkReply::Done { eve, mug, effects } => {
            if verbose {
                eprintln!(
                    "event {eve}: done, mug {mug:#010x}, {} effects ({:.2} ms)",
                    list_iter(effects).count(),
                    ms(t)
                );
            }
            Ok(effects)
        }
        WorkReply::Swap { eve, mug, .. } => {
            eprintln!(
                "event {eve}: failed; %crud logged instead (swap), mug {mug:#010x} ({:.2} ms)",
                ms(t)
            );
            Ok(Noun::ZERO)
        }
        WorkReply::Bail { goofs } => {
            eprintln!(
                "event: bail {} ({:.2} ms)",
                goofs
                    .iter()
                    .map(|g| g.mote_name())
                    .collect::<Vec<_>>()
                    .join(" "),
                ms(t)
            );
            for goof in &goofs {
                for line in goof_lines(goof) {
                    eprintln!("  {line}");
                }
            }
            Ok(Noun::ZERO)
        }
    }
}

/// A goof's tang as the king prints it: the tanks in reverse, each on one line, bounded.
fn goof_lines(goof: &crate::protocol::Goof) -> Vec<String> {
    let mut tanks: Vec<Noun> = list_iter(goof.tang).flatten().collect();
    tanks.reverse();
    let lines = tanks
        .into_iter()
        .map(crate::text::urbit::render_tank)
        .collect();
    crate::text::urbit::bound_lines(lines, crate::kernel::FAILURE_LINES)
}

/// Options for `ship` with OS entropy, verbose (`%verb [~ %.n]`) if the serf flags ask for it (king-protocol.md
/// §1.2, bit 4).
/// `--stats`: ask the idle serf for its memory report (SIGUSR1; it answers on its stderr, which is ours, before it
/// replies to the next writ), save (which also makes the second save's time visible), and print the serf's
/// resident memory and the arena file's size.
fn stats(king: &mut King, pier: &Path, when: &str) -> Result<(), String> {
    let pid = king.serf().map_err(|e| e.to_string())?.pid();
    // SAFETY: kill(2) with a pid of our own live child and a valid signal number.
    if unsafe { libc::kill(pid as libc::pid_t, libc::SIGUSR1) } != 0 {
        return Err(format!(
            "signalling the serf: {}",
            std::io::Error::last_os_error()
        ));
    }
    let t = Instant::now();
    king.save().map_err(|e| e.to_string())?;
    eprintln!(
        "save: event {} durable again ({:.1} ms)",
        king.event(),
        ms(t)
    );
    let (rss, peak) = crate::interpreter::mass::resident_bytes_of(pid);
    let arena = pier.join(".urb/chk/mars/pma.img");
    let arena = std::fs::metadata(&arena).map_or("none".to_string(), |m| {
        crate::interpreter::mass::human(m.len())
    });
    eprintln!(
        "stats: {when}: serf resident {} kB, peak {} kB; arena file {arena}",
        rss >> 10,
        peak >> 10
    );
    Ok(())
}

fn boot_options(ship: u128, flags: u32) -> BootOptions {
    let mut o = BootOptions::new(ship);
    o.verbose = flags & 16 != 0;
    o
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// A pier directory `mars boot` made for itself: removed when the command ends, however it ends.
struct TempPier(PathBuf);

impl Drop for TempPier {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The pier to use, created: `--pier`, or else a temporary one, removed when the returned guard drops.
fn pier_dir(a: &BootArgs) -> Result<(PathBuf, Option<TempPier>), String> {
    let (pier, temp) = match &a.pier {
        Some(p) => (p.clone(), None),
        None => {
            let p = std::env::temp_dir().join(format!("mars-boot-{}", std::process::id()));
            // A directory of this name is a leftover of a killed process that had our pid: not a ship to resume.
            let _ = std::fs::remove_dir_all(&p);
            (p.clone(), Some(TempPier(p)))
        }
    };
    std::fs::create_dir_all(&pier).map_err(|e| format!("{}: {e}", pier.display()))?;
    Ok((pier, temp))
}

/// Whether `pier` already holds a ship: an event log or a snapshot.
fn holds_a_ship(pier: &Path) -> bool {
    crate::eventlog::log_dir(pier).join("data.mdb").exists()
        || pier.join(".urb").join("chk").exists()
}

/// Everything `mars boot` was given, read and checked before a serf is spawned: a mistake in the last option is
/// reported at once, not after a boot of minutes.
struct Checked {
    ship: u128,
    /// The pill and where it came from; `None` when resuming a pier that holds a ship.
    pill: Option<(Pill, String)>,
    /// Where the nouns of the pill, the `--events`, `--dojo` and `--peek` live; the king takes it over.
    heap: HeapAlloc,
    events: Vec<Noun>,
    dojo: Vec<(String, Vec<Noun>)>,
    peeks: Vec<(String, Noun)>,
}

fn check_args(a: &BootArgs, resuming: bool) -> Result<Checked, String> {
    let ship = ship(&a.ship)?;
    if !(20..=MAX_LOOM_BITS).contains(&a.loom) {
        return Err(format!("--loom {}: give 20..={MAX_LOOM_BITS}", a.loom));
    }
    let mut heap = HeapAlloc::new();
    let pill = match (&a.pill, resuming) {
        (_, true) => None,
        (Some(p), false) => {
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let pill =
                parse_pill(&mut heap, &bytes).map_err(|e| format!("{}: {e}", p.display()))?;
            Some((pill, p.display().to_string()))
        }
        (None, false) => Some((
            parse_pill(&mut heap, &test_pill::pill_bytes())?,
            "the mars test pill".to_string(),
        )),
    };
    let mut events = Vec::new();
    if let Some(f) = &a.events {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("--events {}: {e}", f.display()))?;
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let ovum = crate::text::parse_noun(&mut heap, line)
                .map_err(|e| format!("--events {}:{}: {e}", f.display(), i + 1))?;
            if !ovum.is_cell() {
                return Err(format!(
                    "--events {}:{}: an ovum is a cell [wire card]",
                    f.display(),
                    i + 1
                ));
            }
            events.push(ovum);
        }
    }
    let mut dojo = Vec::new();
    for line in &a.dojo {
        let ova = cards::type_line(&mut heap, line).map_err(|e| e.to_string())?;
        dojo.push((line.clone(), ova));
    }
    let mut peeks = Vec::new();
    for spec in &a.peek {
        peeks.push((spec.clone(), cards::peek_once(&mut heap, spec)?));
    }
    Ok(Checked {
        ship,
        pill,
        heap,
        events,
        dojo,
        peeks,
    })
}

pub fn boot(a: BootArgs) -> Result<i32, String> {
    if a.protocol == 2 {
        return boot_p2(a);
    }
    let existing = a.pier.as_deref().filter(|p| holds_a_ship(p));
    if let (Some(p), Some(pill), false) = (existing, &a.pill, a.resume) {
        return Err(format!(
            "{}: this pier already holds a ship, so the pill {} would not be used; give --resume to continue the \
             ship, or a new --pier to boot the pill",
            p.display(),
            pill.display()
        ));
    }
    let c = check_args(&a, existing.is_some())?;
    let ship = c.ship;
    // SIGINT and SIGTERM end the command between events, so that it cleans up; the serf, in the same process group
    // under a terminal's Ctrl-C, turns a SIGINT during a computation into `%intr`.
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| format!("installing signal handlers: {e}"))?;
    }
    // Declared before the king, so that the serf is gone when the directory is removed.
    let (pier, _temp) = pier_dir(&a)?;
    let mut opts = SpawnOptions::new(&own_binary()?, &pier);
    opts.flags = a.flags;
    opts.loom_bits = a.loom;
    let t = Instant::now();
    let mut king = King::start(opts, Chatter::Print).map_err(|e| e.to_string())?;
    // The checked nouns stay where they are: the heap's chunks move with it.
    king.heap = c.heap;
    let (eve, mug) = {
        let s = king.serf().map_err(|e| e.to_string())?;
        (s.event, s.mug)
    };
    eprintln!(
        "spawn: serf ready at event {eve} (mug {mug:#010x}), pier {} ({:.1} ms)",
        pier.display(),
        ms(t)
    );
    let mut log = read_log(&mut king, &pier)?;
    if log.is_none() {
        if eve != 0 {
            return Err(format!(
                "{}: the serf is at event {eve} but the pier has no event log to resume from",
                pier.display()
            ));
        }
        let Some((pill, source)) = &c.pill else {
            return Err(format!(
                "{}: the pier has a snapshot but no event log: nothing to boot or resume",
                pier.display()
            ));
        };
        eprintln!(
            "pill: %{} from {source}: {} boot formulas, {} mod, {} use events",
            pill.name,
            pill.bot.len(),
            pill.mod_.len(),
            pill.use_.len()
        );
        let o = boot_options(ship, a.flags);
        let t = Instant::now();
        match king.boot(pill, &o).map_err(|e| e.to_string())? {
            PlayReply::Done { mug } => eprintln!(
                "boot: events 1..{} played, kernel mug {mug:#010x} ({:.1} ms)",
                king.event(),
                ms(t)
            ),
            PlayReply::Bail { goof, .. } => {
                let hint = if goof.mote_name() == "meme" {
                    " (the NockStack is full: give a larger --loom)"
                } else {
                    ""
                };
                return Err(format!("boot failed: {}{hint}", goof.mote_name()));
            }
        }
        let meta = Meta {
            version: 1,
            who: ship,
            fake: true,
            life: pill.bot.len() as u64,
        };
        let mut created = EventLog::create(&pier, &meta).map_err(|e| e.to_string())?;
        append_events(&mut created, &king, 1, &[])?;
        log = Some(created);
        let t = Instant::now();
        king.save().map_err(|e| e.to_string())?;
        eprintln!("save: event {} durable ({:.1} ms)", king.event(), ms(t));
        if a.stats {
            stats(&mut king, &pier, "after boot")?;
        }
    } else {
        let t = Instant::now();
        let m = king.replay().map_err(|e| e.to_string())?;
        eprintln!(
            "replay: at event {} (mug {:#010x}) ({:.1} ms)",
            king.event(),
            m.unwrap_or(mug),
            ms(t)
        );
    }
    if !a.no_start && king.event() > 0 {
        // fresh entropy and driver instance numbers on every start, as Vere's king
        let o = boot_options(ship, a.flags);
        let now = king.now();
        let ova = cards::start_ova(&mut king.heap, &o, now).map_err(|e| e.to_string())?;
        for ovum in ova {
            send(&stop, &mut king, log.as_mut(), ovum, true)?;
        }
        eprintln!("start: driver events sent, serf at event {}", king.event());
    }
    if a.events.is_some() {
        let n = c.events.len();
        for ovum in c.events {
            send(&stop, &mut king, log.as_mut(), ovum, true)?;
        }
        eprintln!("events: {n} sent, serf at event {}", king.event());
    }
    for (line, ova) in c.dojo {
        eprintln!("dojo: {line}");
        for ovum in ova {
            let effects = send(&stop, &mut king, log.as_mut(), ovum, false)?;
            for text in cards::blit_text(effects) {
                outln!("{text}")?;
            }
        }
    }
    for (spec, sam) in c.peeks {
        if stop.load(Ordering::Relaxed) {
            return Err(INTERRUPTED.into());
        }
        match king.peek(0, sam).map_err(|e| e.to_string())? {
            PeekReply::Done(res) => outln!("{spec}: {}", cards::render_peek(res))?,
            PeekReply::Bail(goof) => outln!("{spec}: crash {}", goof.mote_name())?,
        }
    }
    if a.stats {
        stats(&mut king, &pier, "before exit")?;
    }
    let t = Instant::now();
    let status = king.shutdown().map_err(|e| e.to_string())?;
    eprintln!(
        "exit: saved at event {}, serf exited with {status} ({:.1} ms)",
        king.log.len(),
        ms(t)
    );
    Ok(if status.success() { 0 } else { 1 })
}

/// One `%poke` through the P2 king, reported like [`send`]; returns the effects (`~` if it failed).
fn poke_p2(
    w: &mut WorkProcess,
    h: &mut HeapAlloc,
    ovum: crate::noun::Noun,
    verbose: bool,
) -> Result<crate::noun::Noun, String> {
    let t = Instant::now();
    match w.poke(h, 0, ovum).map_err(|e| e.to_string())? {
        PokeReply::Done(effects) => {
            if verbose {
                eprintln!(
                    "event {}: done, {} effects ({:.2} ms)",
                    w.event,
                    list_iter(effects).count(),
                    ms(t)
                );
            }
            Ok(effects)
        }
        PokeReply::Bail(goofs) => {
            eprintln!(
                "event: bail {} ({:.2} ms)",
                goofs
                    .iter()
                    .map(|g| g.mote_name())
                    .collect::<Vec<_>>()
                    .join(" "),
                ms(t)
            );
            Ok(crate::noun::Noun::ZERO)
        }
    }
}

/// `mars boot --protocol 2`: as Vere 4.x's king, boot with `mars boot --snap-dir` if the pier has no log, then run
/// `mars work --snap-dir` (which replays its own log) and send the start, `--events`, `--dojo` and `--peek` tasks.
fn boot_p2(a: BootArgs) -> Result<i32, String> {
    let ship = ship(&a.ship)?;
    let (pier, _temp) = pier_dir(&a)?;
    let mut opts = P2Options::new(&own_binary()?, &pier);
    opts.flags = a.flags;
    opts.loom_bits = a.loom;
    if !crate::eventlog::log_dir(&pier).join("data.mdb").exists() {
        let bytes = match &a.pill {
            Some(p) => std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
            None => test_pill::pill_bytes(),
        };
        let t = Instant::now();
        king_p2::boot(&opts, &bytes, ship, Chatter::Print).map_err(|e| e.to_string())?;
        eprintln!(
            "boot: {} booted by `mars boot --snap-dir` ({:.1} ms)",
            pier.display(),
            ms(t)
        );
    }
    let t = Instant::now();
    let mut w = WorkProcess::spawn(&opts, Chatter::Print).map_err(|e| e.to_string())?;
    eprintln!(
        "work: ripe at event {} (mug {:#010x}), pier {} ({:.1} ms)",
        w.event,
        w.mug,
        pier.display(),
        ms(t)
    );
    let mut h = HeapAlloc::new();
    if !a.no_start {
        let o = boot_options(ship, a.flags);
        let ova =
            cards::start_ova(&mut h, &o, crate::king::date::now_da()).map_err(|e| e.to_string())?;
        for ovum in ova {
            poke_p2(&mut w, &mut h, ovum, true)?;
        }
        eprintln!("start: driver events sent, serf at event {}", w.event);
    }
    if let Some(f) = &a.events {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let ovum = crate::text::parse_noun(&mut h, line)
                .map_err(|e| format!("{}:{}: {e}", f.display(), i + 1))?;
            poke_p2(&mut w, &mut h, ovum, true)?;
        }
    }
    for line in &a.dojo {
        eprintln!("dojo: {line}");
        for ovum in cards::type_line(&mut h, line).map_err(|e| e.to_string())? {
            let effects = poke_p2(&mut w, &mut h, ovum, false)?;
            for text in cards::blit_text(effects) {
                println!("{text}");
            }
        }
    }
    for spec in &a.peek {
        let sam = cards::peek_once(&mut h, spec)?;
        match w.peek(&mut h, 0, sam).map_err(|e| e.to_string())? {
            P2PeekReply::Done(res) => println!("{spec}: {}", cards::render_peek(res)),
            P2PeekReply::Bail(goof) => println!("{spec}: crash {}", goof.mote_name()),
        }
    }
    let t = Instant::now();
    let eve = w.event;
    let status = w.exit(&mut h).map_err(|e| e.to_string())?;
    eprintln!(
        "exit: saved at event {eve}, serf exited with {status} ({:.1} ms)",
        ms(t)
    );
    Ok(if status.success() { 0 } else { 1 })
}

#[derive(Args)]
pub struct MakePillArgs {
    /// Where to write the pill.
    #[arg(long, default_value = "pills/mars-test.pill")]
    out: PathBuf,
}

pub fn make_pill(a: MakePillArgs) -> Result<i32, String> {
    let bytes = test_pill::pill_bytes();
    if let Some(d) = a.out.parent() {
        if !d.as_os_str().is_empty() {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
        }
    }
    std::fs::write(&a.out, &bytes).map_err(|e| format!("{}: {e}", a.out.display()))?;
    eprintln!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    Ok(0)
}

#[derive(Args)]
pub struct BenchArgs {
    /// Number of `%work` events per measurement.
    #[arg(long, default_value_t = 10_000)]
    events: usize,
    /// Writs in flight in the pipelined run (the P1 king allows 10).
    #[arg(long, default_value_t = 10)]
    depth: usize,
}

/// Boot the test pill in a temporary pier, then time trivial `%work` events through the real pipes.
pub fn bench(a: BenchArgs) -> Result<i32, String> {
    if a.events == 0 {
        return Err("--events 0: give at least one event to time".into());
    }
    if a.depth == 0 {
        return Err("--depth 0: give at least one writ in flight".into());
    }
    let pier = std::env::temp_dir().join(format!("mars-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pier);
    // Declared before the king, so that the serf is gone when the directory is removed.
    let _temp = TempPier(pier.clone());
    std::fs::create_dir_all(&pier).map_err(|e| e.to_string())?;
    let mut opts = SpawnOptions::new(&own_binary()?, &pier);
    opts.flags = 128 | 64;
    let mut king = King::start(opts, Chatter::Collect).map_err(|e| e.to_string())?;
    let mut h = HeapAlloc::new();
    let pill = parse_pill(&mut king.heap, &test_pill::pill_bytes())?;
    king.boot(&pill, &BootOptions::new(0))
        .map_err(|e| e.to_string())?;
    let wire = T(&mut king.heap, &[tas("mars"), tas("bench"), D(0)]).map_err(|e| e.to_string())?;
    let ovum = T(&mut king.heap, &[wire, tas("noop"), D(0)]).map_err(|e| e.to_string())?;

    // Sequential round trips.
    let mut lat = Vec::with_capacity(a.events);
    let t = Instant::now();
    for _ in 0..a.events {
        let t1 = Instant::now();
        match king.work(0, ovum).map_err(|e| e.to_string())? {
            WorkReply::Done { .. } => {}
            other => return Err(format!("unexpected reply {other:?}")),
        }
        lat.push(t1.elapsed().as_secs_f64() * 1e6);
    }
    let total = t.elapsed().as_secs_f64();
    lat.sort_by(|x, y| x.partial_cmp(y).expect("finite"));
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    outln!(
        "sequential: {} %work round trips in {:.3} s: {:.0} events/s; latency mean {:.1} us, p50 {:.1} us, p99 {:.1} us",
        a.events,
        total,
        a.events as f64 / total,
        lat.iter().sum::<f64>() / lat.len() as f64,
        pct(0.5),
        pct(0.99)
    )?;

    // Pipelined: keep `depth` writs in flight, as the king does.
    let serf = king.serf().map_err(|e| e.to_string())?;
    let mut next_eve = serf.event + 1;
    let t = Instant::now();
    let mut sent = 0;
    let mut got = 0;
    while got < a.events {
        while sent < a.events && sent - got < a.depth {
            let job =
                T(&mut h, &[D(0x1000_0000 + sent as u64), ovum]).map_err(|e| e.to_string())?;
            serf.send_writ(&mut h, Writ::Work { mil: 0, job })
                .map_err(|e| e.to_string())?;
            sent += 1;
        }
        match serf.recv(&mut h).map_err(|e| e.to_string())? {
            Plea::Work(WorkReply::Done { eve, .. }) if eve == next_eve => {}
            _ => return Err(format!("unexpected pipelined reply for event {next_eve}")),
        }
        next_eve += 1;
        got += 1;
    }
    let total = t.elapsed().as_secs_f64();
    outln!(
        "pipelined (depth {}): {} %work events in {:.3} s: {:.0} events/s",
        a.depth,
        a.events,
        total,
        a.events as f64 / total
    )?;
    serf.event = next_eve - 1;
    if let Some(s) = king.serf.take() {
        let _ = s.exit(&mut h);
    }
    Ok(0)
}
