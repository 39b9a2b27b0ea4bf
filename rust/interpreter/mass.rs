//! The memory report (Vere's `|mass`): where a running serf's memory is. Printed on SIGUSR1 during a computation,
//! by `mars boot --stats`, and in P2's `%quac` answer.

use super::Context;
use crate::noun::Noun;

/// One line of the report: a name and a size in bytes (or a count, for the lines that say so).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MassLine {
    pub name: String,
    pub bytes: u64,
}

/// The process's resident memory now and at its peak, in bytes (Linux `/proc/self/status`; 0 where unknown).
pub fn resident_bytes() -> (u64, u64) {
    resident_bytes_in("/proc/self/status")
}

/// The same for another process (`mars boot --stats` asks about its serf).
pub fn resident_bytes_of(pid: u32) -> (u64, u64) {
    resident_bytes_in(&format!("/proc/{pid}/status"))
}

fn resident_bytes_in(status: &str) -> (u64, u64) {
    let Ok(status) = std::fs::read_to_string(status) else {
        return (0, 0);
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Words reachable from `root` through objects that live on the NockStack (each object counted once). The objects
/// seen are marked in a bit per stack word, allocated zeroed so that only the pages behind what is reached become
/// resident: the report must not need much memory itself, since it is asked for when memory is short (a hash set of
/// the cells of a 30 MiB cache took 30 MB).
fn stack_words_reachable(ctx: &Context, root: Noun) -> u64 {
    let mut seen = crate::stack::Bits::new(ctx.stack.size_bytes() / 8);
    let mut todo = vec![root];
    let mut words = 0u64;
    while let Some(n) = todo.pop() {
        if !n.is_allocated() {
            continue;
        }
        match ctx.stack.word_index(n.addr()) {
            Some(i) if seen.insert(i) => {}
            _ => continue,
        }
        match n.as_cell() {
            Some(c) => {
                words += crate::noun::CELL_WORDS as u64;
                todo.push(c.head());
                todo.push(c.tail());
            }
            None => {
                let len = n.as_atom().map_or(0, |a| a.words().len());
                words += (crate::noun::ATOM_HEADER_WORDS + len) as u64;
            }
        }
    }
    words
}

impl Context {
    /// The memory report: the NockStack as a whole and per frame, what each frame kept at its last collection, the
    /// caches, the jet dashboard, and the process's resident memory.
    pub fn mass(&self) -> Vec<MassLine> {
        let mut out = Vec::new();
        let mut line = |name: String, bytes: u64| out.push(MassLine { name, bytes });
        let s = &self.stack;
        let frames = s.frame_usage();
        let used: usize = frames.iter().map(|&(_, a, w)| a + w).sum();
        line("nockstack: reserved".into(), s.size_bytes() as u64);
        line("nockstack: in use".into(), used as u64 * 8);
        line("nockstack: peak in use".into(), s.peak_bytes() as u64);
        line("nockstack: resident".into(), s.resident_bytes());
        // Frames pushed by the interpreter, with what survived their last collection; the interpreter's frames are
        // the top `gc.len()` ones.
        let base = frames.len().saturating_sub(1).saturating_sub(self.gc.len());
        for &(depth, alloc, words) in frames.iter().rev() {
            let kept = depth
                .checked_sub(base + 1)
                .and_then(|i| self.gc.get(i))
                .map(|g| format!(", {} KiB after its last collection", g.old * 8 / 1024));
            if alloc + words < (1 << 17) && depth != 0 && depth + 1 != frames.len() {
                continue;
            }
            line(
                format!(
                    "nockstack: frame {depth} ({} KiB of work items{})",
                    words * 8 / 1024,
                    kept.unwrap_or_default()
                ),
                alloc as u64 * 8,
            );
        }
        line(
            "memo cache of this computation (reachable on the stack)".into(),
            stack_words_reachable(self, s.pinned()) * 8,
        );
        line(
            format!("memo cache across events ({} entries)", self.cache.len()),
            self.cache.bytes() as u64,
        );
        line(
            format!("jets: {} registered cores (count)", self.jets.registered()),
            self.jets.registered() as u64,
        );
        for l in &self.store_mass {
            line(l.name.clone(), l.bytes);
        }
        let (rss, peak) = resident_bytes();
        line("process: resident".into(), rss);
        line("process: peak resident".into(), peak);
        out
    }

    /// The memory report as stderr text: a `mars: mass: ` line per entry, `\r\n`-terminated (the serf's stderr).
    pub fn mass_text(&self) -> String {
        let mut text = String::new();
        for line in self.mass_lines() {
            text.push_str("mars: mass: ");
            text.push_str(&line);
            text.push_str("\r\n");
        }
        text
    }

    /// The memory report as text lines (`name: N MiB`), for stderr and `%flog`s.
    pub fn mass_lines(&self) -> Vec<String> {
        self.mass()
            .into_iter()
            .map(|l| {
                if l.name.ends_with("(count)") {
                    l.name
                } else {
                    format!("{}: {}", l.name, human(l.bytes))
                }
            })
            .collect()
    }
}

/// Bytes as KiB, MiB or GiB with one decimal.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", b / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::NockStack;

    #[test]
    fn the_report_names_the_stack_caches_and_process() {
        let ctx = Context::new(NockStack::new(64 << 20).unwrap(), 100);
        let lines = ctx.mass_lines();
        for want in [
            "nockstack: reserved: 64.0 MiB",
            "memo cache across events (0 entries)",
            "jets: 0 registered cores (count)",
            "process: resident",
        ] {
            assert!(
                lines.iter().any(|l| l.starts_with(want)),
                "{want} in {lines:?}"
            );
        }
        let (rss, peak) = resident_bytes();
        assert!(rss > 0 && peak >= rss);
    }
}
