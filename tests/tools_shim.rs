//! End to end: `tools/urbit-with-mars`, the stand-in for Vere 1.x's urbit binary, forwards every command to the real
//! urbit with argv[0] set to itself, so that the king's `ARGV0 serf ...` (as Vere 1.16 spawns its serf) runs mars.

use std::path::{Path, PathBuf};
use std::process::Command;

fn shim() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/urbit-with-mars")
}

/// A fake urbit, compiled with `rustc` (a script would see its own path as `$0`, not the argv[0] it was given): it
/// logs its argv[0] and arguments; given `-F`, it spawns `ARGV0 serf PIER key flags hap loom eve` as Vere 1.16's king
/// does, with stdin closed at once and the serf's stdout and stderr kept.
fn fake_urbit(dir: &Path) -> PathBuf {
    let src = dir.join("fake_urbit.rs");
    std::fs::write(
        &src,
        r#"use std::io::Write;
use std::process::{Command, Stdio};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::var("FAKE_DIR").unwrap();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(format!("{dir}/urbit.log"))
        .unwrap();
    writeln!(log, "argv0={} args={}", args[0], args[1..].join(" ")).unwrap();
    if args.get(1).map(String::as_str) == Some("-F") {
        let pier = format!("{dir}/pier");
        let status = Command::new(&args[0])
            .args(["serf", pier.as_str(), "0:0:0:0", "0", "1000", "24", "0"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(format!("{dir}/serf.out")).unwrap())
            .stderr(std::fs::File::create(format!("{dir}/serf.err")).unwrap())
            .status()
            .unwrap();
        writeln!(log, "serf exited {}", status.code().unwrap_or(-1)).unwrap();
    }
    std::process::exit(7);
}
"#,
    )
    .unwrap();
    let bin = dir.join("urbit");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let o = Command::new(rustc)
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .output()
        .expect("run rustc");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    bin
}

fn run_shim(dir: &Path, urbit: &Path, args: &[&str]) -> std::process::Output {
    Command::new(shim())
        .args(args)
        .env("URBIT", urbit)
        .env("MARS", env!("CARGO_BIN_EXE_mars"))
        .env("FAKE_DIR", dir)
        .output()
        .expect("run the shim")
}

#[test]
fn other_commands_go_to_the_real_urbit_with_the_shim_as_argv0() {
    let tmp = tempfile::tempdir().unwrap();
    let urbit = fake_urbit(tmp.path());
    let o = run_shim(tmp.path(), &urbit, &["eval", "(add 2 2)"]);
    assert_eq!(
        o.status.code(),
        Some(7),
        "the real urbit's status is the shim's"
    );
    let log = std::fs::read_to_string(tmp.path().join("urbit.log")).unwrap();
    let want = format!(
        "argv0={} args=eval (add 2 2)\n",
        shim().canonicalize().unwrap().display()
    );
    assert_eq!(log, want);
}

#[test]
fn the_kings_serf_is_mars() {
    let tmp = tempfile::tempdir().unwrap();
    let urbit = fake_urbit(tmp.path());
    std::fs::create_dir(tmp.path().join("pier")).unwrap();
    let o = run_shim(tmp.path(), &urbit, &["-F", "zod"]);
    assert_eq!(
        o.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let log = std::fs::read_to_string(tmp.path().join("urbit.log")).unwrap();
    // The serf said %ripe, then exited 1 when the king closed its stdin.
    assert!(log.ends_with("serf exited 1\n"), "{log}");
    let out = std::fs::read(tmp.path().join("serf.out")).unwrap();
    let mut h = mars::noun::HeapAlloc::new();
    assert!(out.len() > 5 && out[0] == 0, "not a newt frame: {out:?}");
    let ripe = mars::serial::cue_bytes(&mut h, &out[5..]).unwrap();
    assert_eq!(ripe.head(), Some(mars::noun::tas("ripe")));
    let err = std::fs::read_to_string(tmp.path().join("serf.err")).unwrap();
    assert!(err.contains("mars"), "{err}");
}

#[test]
fn a_missing_binary_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(shim())
        .args(["-F", "zod"])
        .env("URBIT", tmp.path().join("nonexistent"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("set URBIT="));
    let o = Command::new(shim())
        .args(["serf", "x"])
        .env("MARS", tmp.path().join("nonexistent"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("set MARS="));
}
