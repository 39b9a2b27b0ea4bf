//! The double-buffered jam store: `<pier>/.urb/chk/mars-0.jam` and `mars-1.jam`.
//!
//! Each file is a 64-byte header followed by the payload, the jam of `[kernel cold]`:
//!
//! ```text
//! offset size field
//!  0     8    magic "MARSCHK\0"
//!  8     4    format version (1)
//! 12     4    reserved, 0
//! 16     8    sequence number (which write this was; the newest valid slot wins)
//! 24     8    event number
//! 32     4    kernel mug
//! 36     4    reserved, 0
//! 40     8    payload length in bytes
//! 48     8    xxh64 of the payload
//! 56     8    xxh64 of bytes 0..56
//! ```
//!
//! All integers little-endian. A commit overwrites the slot that does not hold the newest valid state, fsyncs the
//! file and the directory, and only then counts as done; a torn or corrupt slot fails its checksums and the other slot
//! is used. If files exist but none is valid, loading is an error: a pier is never silently booted fresh.

use super::{Moved, RootFrameCollector, SerfState, Snapshot, SnapshotError, Space};
use crate::interpreter::mass::MassLine;
use crate::mug::mug;
use crate::noun::Cell;
use crate::serial::{cue_bytes, jam_to_bytes};
use crate::stack::{NockStack, Roots};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh64::xxh64;

pub const MAGIC: [u8; 8] = *b"MARSCHK\0";
pub const FORMAT_VERSION: u32 = 1;
pub const HEADER_BYTES: usize = 64;

/// A slot's header fields.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SlotHeader {
    pub seq: u64,
    pub event: u64,
    pub mug: u32,
    pub payload_len: u64,
    pub payload_hash: u64,
}

impl SlotHeader {
    pub fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut h = [0u8; HEADER_BYTES];
        h[0..8].copy_from_slice(&MAGIC);
        h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        h[16..24].copy_from_slice(&self.seq.to_le_bytes());
        h[24..32].copy_from_slice(&self.event.to_le_bytes());
        h[32..36].copy_from_slice(&self.mug.to_le_bytes());
        h[40..48].copy_from_slice(&self.payload_len.to_le_bytes());
        h[48..56].copy_from_slice(&self.payload_hash.to_le_bytes());
        let check = xxh64(&h[..56], 0);
        h[56..64].copy_from_slice(&check.to_le_bytes());
        h
    }

    /// Parse and check a header (not the payload).
    pub fn decode(h: &[u8]) -> Result<SlotHeader, String> {
        if h.len() < HEADER_BYTES {
            return Err(format!(
                "{} bytes, shorter than the {HEADER_BYTES}-byte header",
                h.len()
            ));
        }
        let u64_at = |o: usize| u64::from_le_bytes(h[o..o + 8].try_into().expect("8 bytes"));
        let u32_at = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().expect("4 bytes"));
        if h[0..8] != MAGIC {
            return Err("bad magic (not a mars snapshot)".into());
        }
        if u64_at(56) != xxh64(&h[..56], 0) {
            return Err("header checksum mismatch".into());
        }
        let version = u32_at(8);
        if version != FORMAT_VERSION {
            return Err(format!(
                "format version {version}, this mars reads {FORMAT_VERSION}"
            ));
        }
        Ok(SlotHeader {
            seq: u64_at(16),
            event: u64_at(24),
            mug: u32_at(32),
            payload_len: u64_at(40),
            payload_hash: u64_at(48),
        })
    }
}

/// What a slot file holds.
#[derive(Debug)]
pub enum Slot {
    Missing,
    Valid(SlotHeader, Vec<u8>),
    Invalid(String),
}

/// Read and validate one slot file.
pub fn read_slot(path: &Path) -> Result<Slot, SnapshotError> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Slot::Missing),
        Err(error) => {
            return Err(SnapshotError::Io {
                path: path.to_owned(),
                error,
            })
        }
    };
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)
        .map_err(|error| SnapshotError::Io {
            path: path.to_owned(),
            error,
        })?;
    let header = match SlotHeader::decode(&bytes) {
        Ok(h) => h,
        Err(why) => return Ok(Slot::Invalid(why)),
    };
    let payload = &bytes[HEADER_BYTES..];
    if payload.len() as u64 != header.payload_len {
        return Ok(Slot::Invalid(format!(
            "payload is {} bytes, header says {} (torn write?)",
            payload.len(),
            header.payload_len
        )));
    }
    if xxh64(payload, 0) != header.payload_hash {
        return Ok(Slot::Invalid("payload checksum mismatch".into()));
    }
    bytes.drain(..HEADER_BYTES);
    Ok(Slot::Valid(header, bytes))
}

/// The double-buffered jam store of one pier.
pub struct JamSnapshot {
    dir: PathBuf,
    /// Never write (the king's dry-run flag).
    dry_run: bool,
    /// Sequence number of the newest valid slot, and which slot that is.
    newest: Option<(u64, usize)>,
    root: RootFrameCollector,
}

impl JamSnapshot {
    /// The store in `<pier>/.urb/chk`.
    pub fn new(pier: &Path, dry_run: bool) -> JamSnapshot {
        JamSnapshot {
            dir: pier.join(".urb").join("chk"),
            dry_run,
            newest: None,
            root: RootFrameCollector::new(),
        }
    }

    pub fn slot_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("mars-{i}.jam"))
    }

    fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SnapshotError + '_ {
        move |error| SnapshotError::Io {
            path: path.to_owned(),
            error,
        }
    }

    /// Decode a valid slot's payload into the root frame.
    fn decode(
        stack: &mut NockStack,
        header: &SlotHeader,
        payload: &[u8],
    ) -> Result<SerfState, String> {
        let pair = cue_bytes(stack, payload).map_err(|e| format!("payload: {e}"))?;
        let c = pair
            .as_cell()
            .ok_or_else(|| "payload is not a cell [kernel cold]".to_string())?;
        let kernel = c.head();
        let m = if header.event == 0 { 0 } else { mug(kernel) };
        if m != header.mug {
            return Err(format!(
                "kernel mug {m:#x} does not match the header's {:#x}",
                header.mug
            ));
        }
        Ok(SerfState {
            event: header.event,
            kernel,
            cold: c.tail(),
            mug: m,
        })
    }
}

impl Snapshot for JamSnapshot {
    fn load(&mut self, stack: &mut NockStack) -> Result<Option<SerfState>, SnapshotError> {
        let mut valid = Vec::new();
        let mut reasons = Vec::new();
        let mut any = false;
        for i in 0..2 {
            let path = self.slot_path(i);
            match read_slot(&path)? {
                Slot::Missing => {}
                Slot::Valid(h, payload) => {
                    any = true;
                    valid.push((i, h, payload));
                }
                Slot::Invalid(why) => {
                    any = true;
                    reasons.push(format!("{}: {why}", path.display()));
                }
            }
        }
        if !any {
            return Ok(None);
        }
        // Newest first.
        valid.sort_by_key(|v| std::cmp::Reverse(v.1.seq));
        for (i, h, payload) in &valid {
            match JamSnapshot::decode(stack, h, payload) {
                Ok(state) => {
                    for r in &reasons {
                        eprint!("mars: snapshot: ignoring {r}\r\n");
                    }
                    self.newest = Some((h.seq, *i));
                    return Ok(Some(state));
                }
                Err(why) => reasons.push(format!("{}: {why}", self.slot_path(*i).display())),
            }
        }
        Err(SnapshotError::Corrupt { reasons })
    }

    fn extract(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        pins: &mut dyn Roots,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError> {
        self.root.maybe_collect(stack, state, pins, held, false)
    }

    fn commit(&mut self, state: &SerfState) -> Result<(), SnapshotError> {
        if self.dry_run {
            return Ok(());
        }
        let (seq, slot) = match self.newest {
            Some((seq, i)) => (seq + 1, 1 - i),
            None => (1, 0),
        };
        let payload = {
            let mut heap = crate::noun::HeapAlloc::new();
            let pair = Cell::new(&mut heap, state.kernel, state.cold)
                .map_err(|_| SnapshotError::OutOfMemory(Space::Heap))?
                .as_noun();
            jam_to_bytes(pair)
        };
        let header = SlotHeader {
            seq,
            event: state.event,
            mug: state.mug,
            payload_len: payload.len() as u64,
            payload_hash: xxh64(&payload, 0),
        };
        fs::create_dir_all(&self.dir).map_err(Self::io_err(&self.dir))?;
        let path = self.slot_path(slot);
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(Self::io_err(&path))?;
        f.write_all(&header.encode())
            .and_then(|_| f.write_all(&payload))
            .and_then(|_| f.sync_all())
            .map_err(Self::io_err(&path))?;
        drop(f);
        sync_dir(&self.dir).map_err(Self::io_err(&self.dir))?;
        self.newest = Some((seq, slot));
        Ok(())
    }

    fn collect(
        &mut self,
        stack: &mut NockStack,
        state: &mut SerfState,
        held: &mut dyn Roots,
    ) -> Result<Moved, SnapshotError> {
        self.root.maybe_collect(stack, state, &mut (), held, true)
    }

    fn mass(&self) -> Vec<MassLine> {
        let Some((_, slot)) = self.newest else {
            return Vec::new();
        };
        let bytes = std::fs::metadata(self.slot_path(slot)).map_or(0, |m| m.len());
        vec![MassLine {
            name: "jam store: newest snapshot file".into(),
            bytes,
        }]
    }
}

/// fsync a directory, so that a newly created file's entry is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noun::{D, T};

    fn stack() -> NockStack {
        NockStack::new(64 << 20).unwrap()
    }

    fn state(stack: &mut NockStack, event: u64, v: u64) -> SerfState {
        let kernel = T(stack, &[D(v), D(v + 1), D(v + 2)]).unwrap();
        SerfState {
            event,
            kernel,
            cold: D(0),
            mug: mug(kernel),
        }
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mars-snap-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn fresh_pier_loads_nothing() {
        let d = tmp("fresh");
        let mut c = stack();
        assert!(JamSnapshot::new(&d, false).load(&mut c).unwrap().is_none());
    }

    #[test]
    fn alternates_slots_and_loads_newest() {
        let d = tmp("alt");
        let mut c = stack();
        let mut s = JamSnapshot::new(&d, false);
        let a = state(&mut c, 5, 10);
        s.commit(&a).unwrap();
        let b = state(&mut c, 9, 20);
        s.commit(&b).unwrap();
        assert!(s.slot_path(0).exists() && s.slot_path(1).exists());
        let mut c2 = stack();
        let got = JamSnapshot::new(&d, false).load(&mut c2).unwrap().unwrap();
        assert_eq!(got.event, 9);
        assert_eq!(got.mug, b.mug);
        // A third commit overwrites the older slot (0), not the newest.
        let e = state(&mut c, 12, 30);
        s.commit(&e).unwrap();
        let h0 = match read_slot(&s.slot_path(0)).unwrap() {
            Slot::Valid(h, _) => h,
            other => panic!("{other:?}"),
        };
        assert_eq!(h0.event, 12);
    }

    #[test]
    fn torn_or_corrupt_slot_falls_back() {
        let d = tmp("torn");
        let mut c = stack();
        let mut s = JamSnapshot::new(&d, false);
        let a = state(&mut c, 5, 10);
        s.commit(&a).unwrap();
        let b = state(&mut c, 9, 20);
        s.commit(&b).unwrap();
        // Tear the newest slot (1): cut its payload short.
        let p1 = s.slot_path(1);
        let bytes = fs::read(&p1).unwrap();
        fs::write(&p1, &bytes[..bytes.len() - 1]).unwrap();
        let got = JamSnapshot::new(&d, false)
            .load(&mut stack())
            .unwrap()
            .unwrap();
        assert_eq!(got.event, 5);
        // Flip a payload bit instead.
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x10;
        fs::write(&p1, &bad).unwrap();
        let got = JamSnapshot::new(&d, false)
            .load(&mut stack())
            .unwrap()
            .unwrap();
        assert_eq!(got.event, 5);
        // Corrupt the header's event field: the header checksum catches it.
        let mut bad = bytes.clone();
        bad[24] ^= 1;
        fs::write(&p1, &bad).unwrap();
        let got = JamSnapshot::new(&d, false)
            .load(&mut stack())
            .unwrap()
            .unwrap();
        assert_eq!(got.event, 5);
        // After loading from slot 0, the next commit goes to the bad slot 1.
        let mut s2 = JamSnapshot::new(&d, false);
        let mut c3 = stack();
        s2.load(&mut c3).unwrap();
        let e = state(&mut c3, 7, 40);
        s2.commit(&e).unwrap();
        let got = JamSnapshot::new(&d, false)
            .load(&mut stack())
            .unwrap()
            .unwrap();
        assert_eq!(got.event, 7);
    }

    #[test]
    fn corrupt_only_is_an_error() {
        let d = tmp("corrupt");
        let mut c = stack();
        let mut s = JamSnapshot::new(&d, false);
        let a = state(&mut c, 5, 10);
        s.commit(&a).unwrap();
        fs::write(s.slot_path(0), b"MARSCHK\0garbage").unwrap();
        match JamSnapshot::new(&d, false).load(&mut stack()) {
            Err(SnapshotError::Corrupt { reasons }) => {
                assert_eq!(reasons.len(), 1);
                assert!(reasons[0].contains("mars-0.jam"), "{reasons:?}");
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        // An empty file is corrupt too.
        fs::write(s.slot_path(0), b"").unwrap();
        assert!(JamSnapshot::new(&d, false).load(&mut stack()).is_err());
    }

    #[test]
    fn dry_run_writes_nothing() {
        let d = tmp("dry");
        let mut c = stack();
        let mut s = JamSnapshot::new(&d, true);
        let a = state(&mut c, 5, 10);
        s.commit(&a).unwrap();
        assert!(!s.slot_path(0).exists());
    }

    #[test]
    fn collection_keeps_the_state() {
        let mut c = stack();
        let mut s = JamSnapshot::new(&tmp("gc"), true);
        let mut st = state(&mut c, 3, 100);
        for i in 0..1000u64 {
            T(&mut c, &[D(i), D(i)]).unwrap();
        }
        let before = c.frame_alloc_words();
        let moved = s.collect(&mut c, &mut st, &mut ()).unwrap();
        assert!(moved.root_frame_collected);
        assert!(c.frame_alloc_words() < before);
        assert_eq!(mug(st.kernel), st.mug);
    }
}
