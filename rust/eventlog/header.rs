//! Screening of `data.mdb` in safe Rust, before (or instead of) LMDB.
//!
//! LMDB trusts the page numbers it finds in its file: a `data.mdb` cut short
//! makes it touch memory past the end of the file (SIGBUS), and a garbled
//! B-tree page can make it read out of bounds. [`check_header`] reads the two
//! meta pages and checks the file is long enough for what they claim; it runs
//! on every open. [`verify_data_file`] walks every B-tree page of the free,
//! main and named databases and checks each page header, node offset, child
//! page number and overflow run; it is a separate, slower check.
//!
//! Layout facts used (LMDB 0.9, 64-bit, data format version 1):
//! page header 16 bytes = `pgno: u64, pad: u16, flags: u16, lower: u16, upper: u16`
//! (an overflow page has `pages: u32` in place of lower/upper); the meta body
//! starts at byte 16 = `magic: u32 = 0xBEEFC0DE, version: u32 = 1,
//! address: u64, mapsize: u64, dbs[2]: MDB_db (48 bytes each), last_pg: u64,
//! txnid: u64`; `MDB_db = pad: u32 (page size for the free db), flags: u16,
//! depth: u16, branch_pages, leaf_pages, overflow_pages, entries, root: u64`.
//! A node = `lo: u16, hi: u16, flags: u16, ksize: u16`, then the key, then the
//! data; in a branch node `lo | hi << 16 | flags << 32` is the child page.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::LogError;

const MAGIC: u32 = 0xBEEF_C0DE;
const DATA_VERSION: u32 = 1;
const PAGE_HDR: usize = 16;
const META_LEN: usize = 136;
const NODE_HDR: usize = 8;
const P_INVALID: u64 = u64::MAX;

const P_BRANCH: u16 = 0x01;
const P_LEAF: u16 = 0x02;
const P_OVERFLOW: u16 = 0x04;
const P_META: u16 = 0x08;
const P_LEAF2: u16 = 0x20;
const P_SUBP: u16 = 0x40;

const F_BIGDATA: u16 = 0x01;
const F_SUBDATA: u16 = 0x02;
const F_DUPDATA: u16 = 0x04;

/// Deepest B-tree accepted (LMDB's own cursor stack is 32 deep).
const MAX_DEPTH: u16 = 32;

/// What the meta pages of a file say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetaPage {
    pub page_size: u32,
    pub last_pg: u64,
    pub txnid: u64,
    pub main_root: u64,
    pub main_depth: u16,
    pub free_root: u64,
    pub free_depth: u16,
}

/// A named database as recorded in the main database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDb {
    /// Its name (the main-database key), lossily decoded as UTF-8.
    pub name: String,
    /// Its persistent flags (`MDB_INTEGERKEY` = 0x08, ...).
    pub flags: u16,
    /// B-tree depth (0 if empty).
    pub depth: u16,
    /// Entries LMDB recorded for it.
    pub entries: u64,
}

/// Result of a full structural walk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// Page size recorded in the file.
    pub page_size: u32,
    /// Pages the newest meta page says are in use (last_pg + 1).
    pub pages_in_use: u64,
    /// Transaction id of the newest meta page.
    pub txnid: u64,
    /// Branch, leaf and overflow pages visited.
    pub branch_pages: u64,
    pub leaf_pages: u64,
    pub overflow_pages: u64,
    /// Named databases found in the main database (`META`, `EVENTS`), in key order.
    pub named_dbs: Vec<NamedDb>,
    /// Leaf entries seen in all trees.
    pub entries: u64,
}

fn damaged(path: &Path, detail: String) -> LogError {
    LogError::Damaged {
        path: path.to_path_buf(),
        detail,
    }
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

fn read_exact_at(file: &File, path: &Path, buf: &mut [u8], off: u64) -> Result<(), LogError> {
    file.read_exact_at(buf, off).map_err(|source| {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            damaged(
                path,
                format!(
                    "file ends before byte {} (reading {} bytes at offset {off})",
                    off + buf.len() as u64,
                    buf.len()
                ),
            )
        } else {
            LogError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// Parse one meta page (its first `PAGE_HDR + META_LEN` bytes).
fn parse_meta(path: &Path, which: u64, b: &[u8]) -> Result<MetaPage, LogError> {
    let magic = u32_at(b, PAGE_HDR);
    if magic != MAGIC {
        return Err(LogError::NotAnEnv {
            path: path.to_path_buf(),
            detail: format!("meta page {which}: magic {magic:#010x}, expected {MAGIC:#010x}"),
        });
    }
    let version = u32_at(b, PAGE_HDR + 4);
    if version != DATA_VERSION {
        return Err(LogError::NotAnEnv {
            path: path.to_path_buf(),
            detail: format!(
                "meta page {which}: LMDB data format {version}, expected {DATA_VERSION} (LMDB 0.9)"
            ),
        });
    }
    let pgno = u64_at(b, 0);
    let flags = u16_at(b, 10);
    if pgno != which || flags & P_META == 0 {
        return Err(damaged(
            path,
            format!("meta page {which}: header says page {pgno}, flags {flags:#x}"),
        ));
    }
    let db = |i: usize| PAGE_HDR + 24 + 48 * i;
    let page_size = u32_at(b, db(0));
    Ok(MetaPage {
        page_size,
        free_depth: u16_at(b, db(0) + 6),
        free_root: u64_at(b, db(0) + 40),
        main_depth: u16_at(b, db(1) + 6),
        main_root: u64_at(b, db(1) + 40),
        last_pg: u64_at(b, PAGE_HDR + 120),
        txnid: u64_at(b, PAGE_HDR + 128),
    })
}

/// Read both meta pages, check them and the file length; returns the newest.
pub(crate) fn check_header(path: &Path) -> Result<MetaPage, LogError> {
    let [first, second] = check_metas(path)?;
    Ok(if second.txnid > first.txnid {
        second
    } else {
        first
    })
}

/// Read both meta pages, check them and the file length.
fn check_metas(path: &Path) -> Result<[MetaPage; 2], LogError> {
    let file = File::open(path).map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file_len = |file: &File| -> Result<u64, LogError> {
        file.metadata()
            .map(|m| m.len())
            .map_err(|source| LogError::Io {
                path: path.to_path_buf(),
                source,
            })
    };
    // The meta pages are read before the length is taken: LMDB writes a
    // transaction's pages (growing the file) before its meta page, so a meta
    // page read first never claims pages a later length lacks, even while a
    // writer is committing.
    let mut m0 = [0u8; PAGE_HDR + META_LEN];
    if file_len(&file)? < m0.len() as u64 {
        return Err(LogError::NotAnEnv {
            path: path.to_path_buf(),
            detail: format!(
                "file is {} bytes, too short for an LMDB meta page",
                file_len(&file)?
            ),
        });
    }
    read_exact_at(&file, path, &mut m0, 0)?;
    let first = parse_meta(path, 0, &m0)?;
    let ps = first.page_size;
    if !ps.is_power_of_two() || !(512..=65536).contains(&ps) {
        return Err(damaged(path, format!("implausible page size {ps}")));
    }
    let ps = u64::from(ps);
    let mut m1 = [0u8; PAGE_HDR + META_LEN];
    read_exact_at(&file, path, &mut m1, ps)?;
    let second = parse_meta(path, 1, &m1)?;
    let len = file_len(&file)?;
    if len < 2 * ps {
        return Err(damaged(
            path,
            format!(
                "file is {len} bytes, shorter than the two meta pages ({} bytes)",
                2 * ps
            ),
        ));
    }
    // Both meta pages must fit in the file: LMDB may fall back to the older one.
    for m in [&first, &second] {
        let need = m.last_pg.checked_add(1).and_then(|p| p.checked_mul(ps));
        match need {
            Some(need) if need <= len => {}
            _ => {
                return Err(damaged(
                    path,
                    format!(
                        "truncated: a meta page says {} pages of {ps} bytes are in use, the file has {len} bytes",
                        m.last_pg.saturating_add(1)
                    ),
                ))
            }
        }
        for (what, root) in [("main", m.main_root), ("free", m.free_root)] {
            if root != P_INVALID && root > m.last_pg {
                return Err(damaged(
                    path,
                    format!(
                        "{what} database root page {root} is past the last page {}",
                        m.last_pg
                    ),
                ));
            }
        }
    }
    Ok([first, second])
}

struct Walker<'a> {
    file: File,
    path: &'a Path,
    ps: usize,
    last_pg: u64,
    seen: PageSet,
    report: FileReport,
}

/// One bit per page of the file: which pages the walk has reached.
struct PageSet(Vec<u64>);

impl PageSet {
    fn new(pages: u64) -> PageSet {
        PageSet(vec![0; pages.div_ceil(64) as usize])
    }

    /// Mark `pgno` (which must be below the page count); false if it was marked.
    fn insert(&mut self, pgno: u64) -> bool {
        let (word, bit) = ((pgno / 64) as usize, 1u64 << (pgno % 64));
        match self.0.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }
}

impl Walker<'_> {
    fn page(&mut self, pgno: u64) -> Result<Vec<u8>, LogError> {
        if pgno > self.last_pg || pgno < 2 {
            return Err(damaged(
                self.path,
                format!("reference to page {pgno}, outside 2..={}", self.last_pg),
            ));
        }
        if !self.seen.insert(pgno) {
            return Err(damaged(
                self.path,
                format!("page {pgno} is referenced twice (loop or shared page)"),
            ));
        }
        let mut buf = vec![0u8; self.ps];
        let off = pgno * self.ps as u64;
        read_exact_at(&self.file, self.path, &mut buf, off)?;
        let stored = u64_at(&buf, 0);
        if stored != pgno {
            return Err(damaged(
                self.path,
                format!("page {pgno} says it is page {stored}"),
            ));
        }
        Ok(buf)
    }

    /// Walk a tree rooted at `root` of the given depth. `main` says whether
    /// leaf entries may be sub-databases.
    fn tree(&mut self, name: &str, root: u64, depth: u16, main: bool) -> Result<(), LogError> {
        if root == P_INVALID {
            return Ok(());
        }
        if depth == 0 || depth > MAX_DEPTH {
            return Err(damaged(
                self.path,
                format!("database {name}: implausible depth {depth}"),
            ));
        }
        self.node_page(name, root, depth, main)
    }

    fn node_page(&mut self, name: &str, pgno: u64, depth: u16, main: bool) -> Result<(), LogError> {
        let page = self.page(pgno)?;
        let path = self.path;
        let bad = |what: String| damaged(path, format!("database {name}, page {pgno}: {what}"));
        let flags = u16_at(&page, 10);
        let kind = flags & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META | P_LEAF2 | P_SUBP);
        let want = if depth > 1 { P_BRANCH } else { P_LEAF };
        if kind != want {
            return Err(bad(format!(
                "flags {flags:#x}, expected a {} page at this depth",
                if want == P_BRANCH { "branch" } else { "leaf" }
            )));
        }
        let lower = usize::from(u16_at(&page, 12));
        let upper = usize::from(u16_at(&page, 14));
        if lower < PAGE_HDR || lower % 2 != 0 || lower > upper || upper > self.ps {
            return Err(bad(format!("bounds lower={lower} upper={upper}")));
        }
        let count = (lower - PAGE_HDR) / 2;
        if count == 0 {
            return Err(bad("no entries".into()));
        }
        let mut children = Vec::new();
        for i in 0..count {
            let off = usize::from(u16_at(&page, PAGE_HDR + 2 * i));
            if off < upper || off + NODE_HDR > self.ps {
                return Err(bad(format!(
                    "node {i} at offset {off} outside {upper}..{}",
                    self.ps
                )));
            }
            let lo = u64::from(u16_at(&page, off));
            let hi = u64::from(u16_at(&page, off + 2));
            let nflags = u16_at(&page, off + 4);
            let ksize = usize::from(u16_at(&page, off + 6));
            let key_end = off + NODE_HDR + ksize;
            if key_end > self.ps {
                return Err(bad(format!(
                    "node {i}: key of {ksize} bytes overruns the page"
                )));
            }
            if want == P_BRANCH {
                let child = lo | hi << 16 | u64::from(nflags) << 32;
                children.push(child);
                continue;
            }
            self.report.entries += 1;
            let dsize = (lo | hi << 16) as usize;
            if nflags & F_DUPDATA != 0 {
                return Err(bad(format!(
                    "node {i}: duplicate data, not used by the event log"
                )));
            }
            if nflags & F_BIGDATA != 0 {
                if key_end + 8 > self.ps {
                    return Err(bad(format!(
                        "node {i}: overflow reference overruns the page"
                    )));
                }
                let ov = u64_at(&page, key_end);
                self.overflow(name, ov, dsize)?;
            } else if key_end + dsize > self.ps {
                return Err(bad(format!(
                    "node {i}: {dsize} data bytes overrun the page"
                )));
            }
            if nflags & F_SUBDATA != 0 {
                if !main || nflags & F_BIGDATA != 0 || dsize != 48 || key_end + 48 > self.ps {
                    return Err(bad(format!("node {i}: malformed sub-database record")));
                }
                let sub = String::from_utf8_lossy(&page[off + NODE_HDR..key_end]).into_owned();
                let db = &page[key_end..key_end + 48];
                let sub_depth = u16_at(db, 6);
                let sub_root = u64_at(db, 40);
                self.report.named_dbs.push(NamedDb {
                    name: sub.clone(),
                    flags: u16_at(db, 4),
                    depth: sub_depth,
                    entries: u64_at(db, 32),
                });
                self.tree(&sub, sub_root, sub_depth, false)?;
            }
        }
        if want == P_BRANCH {
            self.report.branch_pages += 1;
            for child in children {
                self.node_page(name, child, depth - 1, main)?;
            }
        } else {
            self.report.leaf_pages += 1;
        }
        Ok(())
    }

    fn overflow(&mut self, name: &str, pgno: u64, dsize: usize) -> Result<(), LogError> {
        let page = self.page(pgno)?;
        let flags = u16_at(&page, 10);
        let pages = u64::from(u32_at(&page, 12));
        let bad = |what: String| {
            damaged(
                self.path,
                format!("database {name}, overflow page {pgno}: {what}"),
            )
        };
        if flags & P_OVERFLOW == 0 {
            return Err(bad(format!("flags {flags:#x}, expected an overflow page")));
        }
        let end = pgno.checked_add(pages).map(|e| e - 1);
        match end {
            Some(end) if pages > 0 && end <= self.last_pg => {}
            _ => {
                return Err(bad(format!(
                    "run of {pages} pages past the last page {}",
                    self.last_pg
                )))
            }
        }
        let capacity = (pages as usize).saturating_mul(self.ps) - PAGE_HDR;
        if dsize > capacity {
            return Err(bad(format!("{dsize} data bytes in {pages} pages")));
        }
        for p in pgno + 1..pgno + pages {
            if !self.seen.insert(p) {
                return Err(bad(format!("page {p} is used twice")));
            }
        }
        self.report.overflow_pages += pages;
        Ok(())
    }
}

/// Walk every tree of `data.mdb` (free list, main, and the named databases)
/// in safe Rust, checking page headers, node offsets, child and overflow page
/// numbers. Never uses LMDB, so it cannot crash on a garbled file.
///
/// The file must not be written while this runs (a writer may reuse pages
/// the walk is reading); [`super::EventLog::open`] does the same walk safely
/// under an LMDB read transaction.
pub fn verify_data_file(path: &Path) -> Result<FileReport, LogError> {
    walk(path, check_header(path)?)
}

/// Walk the trees as of transaction `txnid`, if one of the meta pages still
/// describes it (`None` if both have moved on: the caller retries).
pub(crate) fn verify_txn(path: &Path, txnid: u64) -> Result<Option<FileReport>, LogError> {
    let metas = check_metas(path)?;
    match metas.iter().find(|m| m.txnid == txnid) {
        Some(m) => walk(path, *m).map(Some),
        None => Ok(None),
    }
}

fn walk(path: &Path, meta: MetaPage) -> Result<FileReport, LogError> {
    let file = File::open(path).map_err(|source| LogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut w = Walker {
        file,
        path,
        ps: meta.page_size as usize,
        last_pg: meta.last_pg,
        seen: PageSet::new(meta.last_pg + 1),
        report: FileReport {
            page_size: meta.page_size,
            pages_in_use: meta.last_pg + 1,
            txnid: meta.txnid,
            ..FileReport::default()
        },
    };
    w.tree("(free)", meta.free_root, meta.free_depth, false)?;
    w.tree("(main)", meta.main_root, meta.main_depth, true)?;
    Ok(w.report)
}
