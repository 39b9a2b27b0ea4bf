//! A ship keeps its jets across `mars play` and a restart (issue 16): the jet registrations made while booting are
//! part of the state, so a snapshot written by `mars play` restores them in `mars serf`, and a replay that starts
//! from a snapshot runs with them.
//!
//! The own test pill registers the library gate `a50/lth` only in its lifecycle; its `%jets n` event kicks that gate
//! (built as a constant, without a `%fast` hint) once, which is one jet hit if the registration is known and `n`
//! steps of Nock if not. The serf reports each `%work` event's jet hits in a verbose `%flog` line, `mars play` its
//! total in its summary line; the tests count hits, never time.

use mars::king::{
    cards, date, parse_pill, test_pill, BootOptions, Chatter, King, SerfProcess, SpawnOptions,
    WorkReply,
};
use mars::noun::{tas, Atom, Noun, D, T};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `%jets` event's operand: 10^5 steps of Nock without the jet.
const N: u64 = 100_000;

fn mars(store: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mars"))
        .env("MARS_SNAPSHOT", store)
        .args(args)
        .output()
        .expect("run mars")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn opts(pier: &Path, store: &str) -> SpawnOptions {
    let mut o = SpawnOptions::new(Path::new(env!("CARGO_BIN_EXE_mars")), pier);
    o.snapshot = Some(store.into());
    o.flags = 128 | 16; // verbose: the serf flogs each event's jet hits
    o.capture_stderr = true;
    o
}

/// The job `[now [/mars/test [%jets N]]]`, at a fixed date (so that two serfs computing it agree on the mug).
fn jets_job(king: &mut King) -> Noun {
    let now = Atom::from_u128(&mut king.heap, 0x8000_000d_33f1_fe80_8000_0000_0000_0000)
        .unwrap()
        .as_noun();
    let wire = T(&mut king.heap, &[tas("mars"), tas("test"), D(0)]).unwrap();
    T(&mut king.heap, &[now, wire, tas("jets"), D(N)]).unwrap()
}

/// Compute the `%jets` job with `%work`; returns the new mug and the jet hits the serf reported for the event.
fn jets_event(king: &mut King) -> (u32, u64) {
    let job = jets_job(king);
    let serf = king.serf.as_mut().unwrap();
    let (eve, mug) = match serf.work(&mut king.heap, 0, job).unwrap() {
        WorkReply::Done { eve, mug, effects } => {
            // [[//mars [%jets %.y]] ~]: the product of (lth N +(N)), whichever way it was computed
            let card = effects.head().unwrap().tail().unwrap();
            assert_eq!(card.head(), Some(tas("jets")));
            assert_eq!(card.tail(), Some(D(0)));
            (eve, mug)
        }
        other => panic!("%jets: expected %done, got {other:?}"),
    };
    let hits = flog_hits(serf, eve);
    (mug, hits)
}

/// The jet hits the serf's verbose `%flog` line reports for event `eve`.
fn flog_hits(serf: &SerfProcess, eve: u64) -> u64 {
    let prefix = format!("mars: work: event {eve}: ");
    let line = serf
        .flogs
        .iter()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no jet-hit line for event {eve}: {:?}", serf.flogs));
    line[prefix.len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unreadable jet-hit line {line:?}"))
}

fn boot_own(king: &mut King) {
    let pill = parse_pill(&mut king.heap, &test_pill::pill_bytes()).unwrap();
    king.boot(&pill, &BootOptions::new(0)).unwrap();
}

fn fresh_pier(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// `mars boot` the own pill into `pier` with a few events (a `%jets` one among them), then delete the serf's
/// snapshot, so that only `mars play` can write the next one. Returns the log's last event.
fn logged_pier(pier: &Path, store: &str) -> u64 {
    let events = pier.with_extension("events");
    let lines = format!(
        "[[%mars %test 0] %note 1]\n[[%mars %test 0] %jets {N}]\n[[%mars %test 0] %note 2]\n"
    );
    std::fs::write(&events, lines).unwrap();
    let o = mars(
        store,
        &[
            "boot",
            "--pier",
            pier.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
            "--no-start",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    std::fs::remove_dir_all(pier.join(".urb/chk")).unwrap();
    mars::eventlog::EventLog::open(pier)
        .unwrap()
        .last()
        .unwrap()
        .unwrap()
}

/// The jet hits in `mars play`'s summary line.
fn play_hits(out: &str) -> u64 {
    let at = out.find("jet hits ").unwrap_or_else(|| panic!("{out}"));
    out[at + 9..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_serf_restarted_on_a_pier_mars_play_replayed_runs_with_its_jets() {
    let dir = tempfile::tempdir().unwrap();
    for store in ["pma", "jam"] {
        // The reference: the same event on a ship booted normally.
        let normal = fresh_pier(dir.path(), &format!("normal-{store}"));
        let mut king = King::start(opts(&normal, store), Chatter::Collect).unwrap();
        boot_own(&mut king);
        let (_, normal_hits) = jets_event(&mut king);
        assert_eq!(normal_hits, 1, "{store}: one kick of the jetted gate");
        king.kill();

        let pier = fresh_pier(dir.path(), &format!("played-{store}"));
        let last = logged_pier(&pier, store);
        let o = mars(store, &["play", pier.to_str().unwrap(), "--from-scratch"]);
        let out = text(&o);
        assert!(o.status.success(), "{store}: {out}");
        assert!(
            out.contains(&format!("saved a snapshot at event {last}")),
            "{out}"
        );
        assert_eq!(play_hits(&out), 1, "{store}: the logged %jets event: {out}");

        let mut king = King::start(opts(&pier, store), Chatter::Collect).unwrap();
        assert_eq!(
            king.event(),
            last,
            "{store}: the serf loaded play's snapshot"
        );
        // A rock of this state, for the control below (it saves too).
        king.serf.as_mut().unwrap().cram(&mut king.heap).unwrap();
        let (mug, hits) = jets_event(&mut king);
        assert_eq!(
            hits, normal_hits,
            "{store}: the restarted serf has its jets"
        );
        king.kill();

        // Control: a rock carries no jet state, so a serf restarted from it runs the gate's Nock, to the same mug.
        let mut o = opts(&pier, store);
        o.at_event = last;
        let mut king = King::start(o, Chatter::Collect).unwrap();
        assert_eq!(king.event(), last);
        let (mug_without, hits_without) = jets_event(&mut king);
        assert_eq!(hits_without, 0, "{store}: no jets without the cold state");
        assert_eq!(
            mug_without, mug,
            "{store}: a jet changes nothing but the speed"
        );
        king.kill();
    }
}

#[test]
fn a_replay_from_a_mars_play_snapshot_runs_with_the_snapshots_jets() {
    let dir = tempfile::tempdir().unwrap();
    for store in ["pma", "jam"] {
        let pier = fresh_pier(dir.path(), store);
        let last = logged_pier(&pier, store);
        // Stop before the %jets event (the event after the boot sequence's 8 and one %note)...
        let o = mars(
            store,
            &[
                "play",
                pier.to_str().unwrap(),
                "--from-scratch",
                "--to",
                "9",
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        // ...then resume from that snapshot: no lifecycle runs, so the jet can only come from the snapshot.
        let o = mars(store, &["play", pier.to_str().unwrap()]);
        let out = text(&o);
        assert!(o.status.success(), "{store}: {out}");
        assert!(out.contains("snapshot at event 9"), "{out}");
        assert!(
            out.contains(&format!("replayed {} events to event {last}", last - 9)),
            "{out}"
        );
        assert!(out.contains("mismatches 0"), "{out}");
        assert_eq!(play_hits(&out), 1, "{store}: {out}");
    }
}

/// Type `line` into the dojo of the serf on `pier` (events dated from `date` on, so that two runs compute the same
/// events); returns the jet hits the serf reported for them.
fn dojo_hits(pier: &Path, date: u128, line: &str) -> u64 {
    let mut o = opts(pier, "pma");
    o.loom_bits = 33;
    let mut king = King::start(o, Chatter::Collect).unwrap();
    let ova = cards::type_line(&mut king.heap, line).unwrap();
    let mut hits = 0;
    for (i, ovum) in ova.into_iter().enumerate() {
        let now = Atom::from_u128(&mut king.heap, date + ((i as u128) << 48))
            .unwrap()
            .as_noun();
        let job = T(&mut king.heap, &[now, ovum]).unwrap();
        let serf = king.serf.as_mut().unwrap();
        match serf.work(&mut king.heap, 0, job).unwrap() {
            WorkReply::Done { eve, .. } => hits += flog_hits(serf, eve),
            other => panic!("the dojo event did not compute: {other:?}"),
        }
    }
    king.kill();
    hits
}

/// The same on brass: a ship booted by `mars boot`, its serf's snapshot deleted, the pier replayed from scratch by
/// `mars play`, and the restarted serf computes a dojo line with as many jet hits as the serf that booted it.
/// About eight minutes of one core and 4 GB: `cargo test --release --test jets_restart -- --ignored`.
#[test]
#[ignore]
fn brass_replayed_by_mars_play_runs_the_dojo_with_its_jets() {
    let pill = mars::test_support::pills_dir().join("brass.pill");
    if mars::test_support::read_shared(&pill).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pier = fresh_pier(dir.path(), "zod");
    let o = mars(
        "pma",
        &[
            "boot",
            pill.to_str().unwrap(),
            "--pier",
            pier.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    // An hour after every event `mars boot` sent.
    let date = date::now_da() + (3600u128 << 64);
    let line = "(turn (gulf 1 100) |=(a=@ (mul a a)))";
    let booted = dojo_hits(&pier, date, line);
    assert!(booted > 100, "the booted serf ran {booted} jets");

    std::fs::remove_dir_all(pier.join(".urb/chk")).unwrap();
    let o = mars("pma", &["play", pier.to_str().unwrap(), "--from-scratch"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("mismatches 0"), "{out}");
    let replayed = dojo_hits(&pier, date, line);
    eprintln!("jet hits of {line}: {booted} after mars boot, {replayed} after mars play");
    assert_eq!(replayed, booted, "the same events with the same jets");
}
