//! The serf's input while it waits for the king. A SIGUSR1 that arrives between events asks for the memory report
//! too (not only one during a computation, which the interpreter answers): the input waits in `poll` with a timeout
//! and, if the report was asked for and nothing has arrived, reports `WouldBlock`, which the frame reader turns into
//! [`crate::protocol::newt::FrameError::Idle`] at a frame boundary. (The P2 serf reads frames on a thread of its own
//! and wakes at the same interval instead.)

use crate::interpreter::signals::{StopFlag, REPORT};
use crate::kernel::Kernel;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;

/// How often an idle serf looks at the stop flag.
const POLL_MS: i32 = 200;
/// The same interval, for waits measured as a [`std::time::Duration`].
pub const POLL: std::time::Duration = std::time::Duration::from_millis(POLL_MS as u64);

/// The king's pipe, watched for a pending report request.
pub struct WatchedInput {
    file: File,
    stop: StopFlag,
}

impl WatchedInput {
    pub fn new(file: File, stop: StopFlag) -> WatchedInput {
        WatchedInput { file, stop }
    }
}

impl Read for WatchedInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut pfd = libc::pollfd {
                fd: self.file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for a descriptor this struct owns.
            let r = unsafe { libc::poll(&mut pfd, 1, POLL_MS) };
            if r > 0 {
                // Readable, closed or failed: the read says which.
                return self.file.read(buf);
            }
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            if self.stop.get() == REPORT {
                return Err(io::ErrorKind::WouldBlock.into());
            }
        }
    }
}

/// Answer a pending SIGUSR1 between events: the memory report on stderr.
pub fn report_if_asked(kernel: &mut Kernel) {
    if kernel.ctx.stop.get() != REPORT {
        return;
    }
    kernel.ctx.stop.clear();
    let state = kernel.state();
    let mut text = format!(
        "mars: idle at event {} (mug {:#x}): memory report\r\n",
        state.event, state.mug
    );
    text.push_str(&kernel.ctx.mass_text());
    eprint!("{text}");
}
