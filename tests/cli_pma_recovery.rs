//! End to end: `mars play` starts from the store the serf wrote; `mars pma check` finds a damaged state record that
//! the serf refuses, both say how to recover, and the recovery (replay the intact log with `mars play`) works; a
//! locked arena names the process holding it.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};

fn mars(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(args)
        .output()
        .expect("run mars");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Boot the own pill into `pier` (the serf saves into the persistent arena) and return the last event's line.
fn booted(pier: &Path) -> String {
    let (code, _, err) = mars(&["boot", "--pier", pier.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    err.lines()
        .find(|l| l.starts_with("exit: saved at event"))
        .expect("exit line")
        .to_string()
}

fn hex_after(text: &str, key: &str) -> u64 {
    let at = text
        .find(key)
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        + key.len();
    let digits: String = text[at..]
        .trim_start_matches("0x")
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    u64::from_str_radix(&digits, 16).unwrap()
}

/// The offset in `pma.img` of the committed state record (an arena address less the arena's base).
fn record_offset(pier: &str) -> u64 {
    let (code, out, err) = mars(&["pma", "inspect", pier]);
    assert_eq!(code, 0, "{err}");
    let slot = out.lines().find(|l| l.starts_with("slot A")).unwrap();
    let other = out.lines().find(|l| l.starts_with("slot B")).unwrap();
    let generation = |l: &str| {
        l.split_whitespace()
            .skip_while(|w| *w != "generation")
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let newest = if generation(slot) > generation(other) {
        slot
    } else {
        other
    };
    hex_after(newest, "root0 ") - hex_after(newest, "base ")
}

#[test]
fn play_starts_from_the_serfs_arena() {
    let tmp = tempfile::tempdir().unwrap();
    let pier = tmp.path().join("pier");
    let exit = booted(&pier);
    let event: u64 = exit
        .split_whitespace()
        .nth(4)
        .unwrap()
        .trim_end_matches(',')
        .parse()
        .unwrap();
    let (code, _, err) = mars(&["play", pier.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("play: snapshot at event {event} ")),
        "{err}"
    );
}

#[test]
fn a_damaged_state_record_is_found_refused_and_recovered_from() {
    // The event word, the kernel's address and the mug word of the record.
    for word in [1u64, 2, 4] {
        let tmp = tempfile::tempdir().unwrap();
        let pier = tmp.path().join("pier");
        let p = pier.to_str().unwrap();
        booted(&pier);
        let (_, before, _) = mars(&["pma", "check", p]);
        let state_line = before
            .lines()
            .find(|l| l.starts_with("state: event"))
            .unwrap()
            .to_string();
        let img = pier.join(".urb/chk/mars/pma.img");
        let mut f = std::fs::OpenOptions::new().write(true).open(&img).unwrap();
        f.seek(SeekFrom::Start(record_offset(p) + 8 * word + 1))
            .unwrap();
        f.write_all(&[0xee, 0xff]).unwrap();
        drop(f);

        let (code, out, _) = mars(&["pma", "check", p]);
        assert_eq!(code, 1, "word {word}: {out}");
        assert!(out.contains("state: bad: "), "word {word}: {out}");
        assert!(out.contains("mars play"), "word {word}: {out}");
        let (code, _, err) = mars(&["boot", "--pier", p]);
        assert_ne!(
            code, 0,
            "word {word}: the serf started from a damaged record: {err}"
        );
        assert!(
            err.contains("no valid snapshot") && err.contains("mars play"),
            "word {word}: {err}"
        );

        // The recovery both messages describe.
        std::fs::rename(pier.join(".urb/chk/mars"), tmp.path().join("mars.bad")).unwrap();
        let (code, _, err) = mars(&["play", p]);
        assert_eq!(code, 0, "word {word}: {err}");
        let (code, after, _) = mars(&["pma", "check", p]);
        assert_eq!(code, 0, "word {word}: {after}");
        assert!(
            after.contains(&state_line),
            "word {word}: {after} vs {state_line}"
        );
        let (code, _, err) = mars(&["boot", "--pier", p, "--no-start"]);
        assert_eq!(code, 0, "word {word}: {err}");
    }
}

#[test]
fn a_locked_arena_names_its_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let pier = tmp.path().join("pier");
    let p = pier.to_str().unwrap();
    booted(&pier);
    // A serf on the pier holds the arena until its stdin closes.
    let mut serf = Command::new(env!("CARGO_BIN_EXE_mars"))
        .args(["serf", p, "0:0:0:0", "0", "1000", "24", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // %ripe comes once the arena is open.
    let mut tag = [0u8; 1];
    std::io::Read::read_exact(serf.stdout.as_mut().unwrap(), &mut tag).unwrap();
    let want = format!("the arena is locked by process {}", serf.id());
    for cmd in ["gc", "check"] {
        let (code, _, err) = mars(&["pma", cmd, p]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains(&want), "{cmd}: {err}");
        assert!(!err.contains("no valid snapshot"), "{cmd}: {err}");
    }
    drop(serf.stdin.take());
    serf.wait().unwrap();
}
