//! `mars boot`, `mars make-pill` and `mars bench-serf`: driving a real `mars serf` through the test king
//! (`mars boot --protocol 2`: a real `mars boot --snap-dir` / `mars work --snap-dir` through its P2 side).

use crate::eventlog::{EventLog, Meta};
use crate::king::p2::{self as king_p2, P2Options, WorkProcess};
use crate::king::{
    cards, parse_pill, test_pill, BootOptions, Chatter, King, PeekReply, PlayReply, SpawnOptions,
    WorkReply,
};
use crate::noun::{list_iter, tas, HeapAlloc, D, T};
use crate::protocol::p1::{Plea, Writ};
use crate::protocol::p2::{PeekReply as P2PeekReply, PokeReply};
use crate::serial::{cue_bytes, jam_to_bytes};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    /// Loom size (NockStack bytes) as a power of two. Reserved, not committed: brass.pill's boot, one computation
    /// that compiles every file of the base desk, needs more than Vere's default of 31.
    #[arg(long, default_value_t = 33)]
    loom: u8,
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
/// failures). Returns the effects (`~` if the event failed).
fn send(
    king: &mut King,
    log: Option<&mut EventLog>,
    ovum: crate::noun::Noun,
    verbose: bool,
) -> Result<crate::noun::Noun, String> {
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
            Ok(crate::noun::Noun::ZERO)
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
            Ok(crate::noun::Noun::ZERO)
        }
    }
}

/// Options for `ship` with OS entropy, verbose (`%verb [~ %.n]`) if the serf flags ask for it (king-protocol.md
/// §1.2, bit 4).
fn boot_options(ship: u128, flags: u32) -> BootOptions {
    let mut o = BootOptions::new(ship);
    o.verbose = flags & 16 != 0;
    o
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

pub fn boot(a: BootArgs) -> Result<i32, String> {
    if a.protocol == 2 {
        return boot_p2(a);
    }
    let ship = ship(&a.ship)?;
    let pier = match &a.pier {
        Some(p) => p.clone(),
        None => std::env::temp_dir().join(format!("mars-boot-{}", std::process::id())),
    };
    std::fs::create_dir_all(&pier).map_err(|e| format!("{}: {e}", pier.display()))?;
    let mut opts = SpawnOptions::new(&own_binary()?, &pier);
    opts.flags = a.flags;
    opts.loom_bits = a.loom;
    let t = Instant::now();
    let mut king = King::start(opts, Chatter::Print).map_err(|e| e.to_string())?;
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
        let (bytes, source) = match &a.pill {
            Some(p) => (
                std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
                p.display().to_string(),
            ),
            None => (test_pill::pill_bytes(), "the mars test pill".to_string()),
        };
        // The pill's nouns go into the log, so they live in the king's heap.
        let pill = parse_pill(&mut king.heap, &bytes)?;
        eprintln!(
            "pill: %{} from {source}: {} boot formulas, {} mod, {} use events",
            pill.name,
            pill.bot.len(),
            pill.mod_.len(),
            pill.use_.len()
        );
        let o = boot_options(ship, a.flags);
        let t = Instant::now();
        match king.boot(&pill, &o).map_err(|e| e.to_string())? {
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
            send(&mut king, log.as_mut(), ovum, true)?;
        }
        eprintln!("start: driver events sent, serf at event {}", king.event());
    }
    if let Some(f) = &a.events {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let mut n = 0;
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let ovum = crate::text::parse_noun(&mut king.heap, line)
                .map_err(|e| format!("{}:{}: {e}", f.display(), i + 1))?;
            send(&mut king, log.as_mut(), ovum, true)?;
            n += 1;
        }
        eprintln!("events: {n} sent, serf at event {}", king.event());
    }
    for line in &a.dojo {
        eprintln!("dojo: {line}");
        let ova = cards::type_line(&mut king.heap, line).map_err(|e| e.to_string())?;
        for ovum in ova {
            let effects = send(&mut king, log.as_mut(), ovum, false)?;
            for text in cards::blit_text(effects) {
                println!("{text}");
            }
        }
    }
    for spec in &a.peek {
        let sam = cards::peek_once(&mut king.heap, spec)?;
        match king.peek(0, sam).map_err(|e| e.to_string())? {
            PeekReply::Done(res) => println!("{spec}: {}", cards::render_peek(res)),
            PeekReply::Bail(goof) => println!("{spec}: crash {}", goof.mote_name()),
        }
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
    let pier = match &a.pier {
        Some(p) => p.clone(),
        None => std::env::temp_dir().join(format!("mars-boot-{}", std::process::id())),
    };
    std::fs::create_dir_all(&pier).map_err(|e| format!("{}: {e}", pier.display()))?;
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
    let pier = std::env::temp_dir().join(format!("mars-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&pier);
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
    println!(
        "sequential: {} %work round trips in {:.3} s: {:.0} events/s; latency mean {:.1} us, p50 {:.1} us, p99 {:.1} us",
        a.events,
        total,
        a.events as f64 / total,
        lat.iter().sum::<f64>() / lat.len() as f64,
        pct(0.5),
        pct(0.99)
    );

    // Pipelined: keep `depth` writs in flight, as the king does.
    let serf = king.serf().map_err(|e| e.to_string())?;
    let mut next_eve = serf.event + 1;
    let t = Instant::now();
    let mut sent = 0;
    let mut got = 0;
    while got < a.events {
        while sent < a.events && sent - got < a.depth.max(1) {
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
    println!(
        "pipelined (depth {}): {} %work events in {:.3} s: {:.0} events/s",
        a.depth,
        a.events,
        total,
        a.events as f64 / total
    );
    serf.event = next_eve - 1;
    if let Some(s) = king.serf.take() {
        let _ = s.exit(&mut h);
    }
    let _ = std::fs::remove_dir_all(&pier);
    Ok(0)
}
