//! The trace flag (bit 8): one Chrome trace-event record per computation in `<pier>/.urb/put/trace/mars-<pid>.json`
//! (an unterminated JSON array, which trace viewers accept).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

pub struct TraceFile {
    w: BufWriter<File>,
    start: Instant,
    pid: u32,
}

impl TraceFile {
    pub fn create(pier: &Path) -> std::io::Result<TraceFile> {
        let dir = pier.join(".urb").join("put").join("trace");
        fs::create_dir_all(&dir)?;
        let pid = std::process::id();
        let mut w = BufWriter::new(File::create(dir.join(format!("mars-{pid}.json")))?);
        w.write_all(b"[\n")?;
        Ok(TraceFile {
            w,
            start: Instant::now(),
            pid,
        })
    }

    /// Microseconds since the trace started.
    pub fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// Record a computation `name` that began at `t0` (from [`TraceFile::now_us`]) for event `eve`.
    pub fn record(&mut self, name: &str, t0: u64, eve: u64) {
        let dur = self.now_us().saturating_sub(t0);
        let _ = writeln!(
            self.w,
            "{{\"name\":\"{name}\",\"cat\":\"serf\",\"ph\":\"X\",\"ts\":{t0},\"dur\":{dur},\"pid\":{},\"tid\":1,\"args\":{{\"eve\":{eve}}}}},",
            self.pid
        );
        let _ = self.w.flush();
    }
}
