//! The serf's side of the protocol pipe: the only writer of frames, shared by the event loop (replies) and the
//! interpreter's slog sink (`%slog` pleas mid-computation), plus `%flog` for the runtime's own messages.

use crate::interpreter::SlogSink;
use crate::noun::{cord, HeapAlloc, Noun};
use crate::protocol::newt::write_frame;
use crate::protocol::p1::Plea;
use crate::serial::jam_to_bytes;
use crate::stack::NockStack;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter};
use std::rc::Rc;

/// The protocol output (a private duplicate of the original fd 1).
pub struct Output {
    w: BufWriter<File>,
    /// Set once a write failed: the king is gone, and the event loop exits at its next reply.
    pub broken: Option<io::Error>,
}

impl Output {
    pub fn new(f: File) -> Output {
        Output {
            w: BufWriter::with_capacity(64 << 10, f),
            broken: None,
        }
    }

    /// Send `n` as one frame.
    pub fn send(&mut self, n: Noun) -> io::Result<()> {
        self.send_jam(&jam_to_bytes(n))
    }

    /// Send the bytes of a jam as one frame (a reply encoded earlier, held until its event was committed).
    pub fn send_jam(&mut self, jam: &[u8]) -> io::Result<()> {
        if let Some(e) = &self.broken {
            return Err(io::Error::new(e.kind(), e.to_string()));
        }
        let r = write_frame(&mut self.w, jam);
        if let Err(e) = &r {
            self.broken = Some(io::Error::new(e.kind(), e.to_string()));
        }
        r
    }
}

pub type SharedOutput = Rc<RefCell<Output>>;

/// Send `[%flog 'text\r\n']`.
pub fn flog(out: &SharedOutput, text: &str) {
    let mut h = HeapAlloc::new();
    let line = format!("{text}\r\n");
    if let Ok(c) = cord(&mut h, &line) {
        if let Ok(n) = Plea::Flog(c).encode(&mut h) {
            let _ = out.borrow_mut().send(n);
        }
    }
}

/// Turns `%slog` hints into `[%slog pri tank]` pleas (dropped with the quiet flag).
pub struct SerfSlog {
    pub out: SharedOutput,
    pub quiet: bool,
}

impl SlogSink for SerfSlog {
    fn slog(&mut self, stack: &mut NockStack, pri: u64, tank: Noun) {
        if self.quiet {
            return;
        }
        let Ok(pri) = u32::try_from(pri) else {
            return;
        };
        // The plea is allocated in the current frame and abandoned with it.
        if let Ok(n) = (Plea::Slog { pri, tank }).encode(stack) {
            let _ = self.out.borrow_mut().send(n);
        }
    }
}
