//! Newt framing (king-protocol.md §2): every message is a zero tag byte, a little-endian u32 body length (> 0), and
//! that many bytes of jam.
//!
//! The reader buffers its input, so frames split across reads or batched in one read are both handled, and it never
//! allocates a body's claimed length before the bytes have actually arrived (a hostile length of 4 GiB costs nothing
//! until 4 GiB are sent).

use std::fmt;
use std::io::{self, Read, Write};

/// Bytes of frame header: tag and length.
pub const HEADER_BYTES: usize = 5;
/// Size of the reader's buffer, and the most a body buffer grows by per read.
const CHUNK: usize = 64 << 10;

/// Why no frame could be read.
#[derive(Debug)]
pub enum FrameError {
    /// The peer closed the stream at a frame boundary.
    Eof,
    /// The stream ended inside a frame.
    Truncated { expected: u64, got: u64 },
    /// The version tag byte was not zero.
    BadTag(u8),
    /// The body length was zero.
    ZeroLength,
    /// Reading failed.
    Io(io::Error),
    /// The input reported [`io::ErrorKind::WouldBlock`] between frames: nothing arrived and the reader's owner was
    /// asked to do something meanwhile (the serf's idle memory report). Nothing was consumed; read again.
    Idle,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Eof => write!(f, "end of input"),
            FrameError::Truncated { expected, got } => write!(
                f,
                "truncated frame: input ended after {got} of {expected} bytes"
            ),
            FrameError::BadTag(t) => write!(f, "bad frame: version tag byte is {t:#04x}, not 0"),
            FrameError::ZeroLength => write!(f, "bad frame: body length is 0"),
            FrameError::Io(e) => write!(f, "reading a frame: {e}"),
            FrameError::Idle => write!(f, "no frame yet"),
        }
    }
}

impl std::error::Error for FrameError {}

/// A buffered reader of newt frames.
pub struct NewtReader<R: Read> {
    inner: R,
    buf: Box<[u8]>,
    /// Unconsumed bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
}

impl<R: Read> NewtReader<R> {
    pub fn new(inner: R) -> NewtReader<R> {
        NewtReader {
            inner,
            buf: vec![0u8; CHUNK].into_boxed_slice(),
            pos: 0,
            end: 0,
        }
    }

    /// Refill the buffer (it must be empty). Returns the number of bytes read; 0 at end of input. `between_frames`:
    /// nothing of the next frame has been read, so an input that would block may be reported as [`FrameError::Idle`]
    /// (inside a frame it is waited out).
    fn fill(&mut self, between_frames: bool) -> Result<usize, FrameError> {
        debug_assert_eq!(self.pos, self.end);
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if between_frames {
                        return Err(FrameError::Idle);
                    }
                }
                Err(e) => return Err(FrameError::Io(e)),
            }
        }
    }

    /// Copy up to `want` buffered bytes into `out`, refilling once if the buffer is empty. Returns 0 at end of input.
    fn take(
        &mut self,
        out: &mut Vec<u8>,
        want: usize,
        between_frames: bool,
    ) -> Result<usize, FrameError> {
        if self.pos == self.end && self.fill(between_frames)? == 0 {
            return Ok(0);
        }
        let n = want.min(self.end - self.pos);
        out.extend_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }

    /// Read the next frame's body.
    pub fn read_frame(&mut self) -> Result<Vec<u8>, FrameError> {
        let mut header = Vec::with_capacity(HEADER_BYTES);
        while header.len() < HEADER_BYTES {
            let want = HEADER_BYTES - header.len();
            let between_frames = header.is_empty();
            if self.take(&mut header, want, between_frames)? == 0 {
                return Err(if header.is_empty() {
                    FrameError::Eof
                } else {
                    FrameError::Truncated {
                        expected: HEADER_BYTES as u64,
                        got: header.len() as u64,
                    }
                });
            }
            if header[0] != 0 {
                return Err(FrameError::BadTag(header[0]));
            }
        }
        let len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if len == 0 {
            return Err(FrameError::ZeroLength);
        }
        let mut body = Vec::with_capacity(len.min(CHUNK));
        while body.len() < len {
            let want = len - body.len();
            if body.capacity() == body.len() {
                body.reserve(want.min(CHUNK.max(body.len())));
            }
            let room = body.capacity() - body.len();
            if self.take(&mut body, want.min(room), false)? == 0 {
                return Err(FrameError::Truncated {
                    expected: (HEADER_BYTES + len) as u64,
                    got: (HEADER_BYTES + body.len()) as u64,
                });
            }
        }
        Ok(body)
    }
}

/// Encode one frame around `body` (which must be 1 to 2^32 - 1 bytes).
pub fn frame(body: &[u8]) -> io::Result<Vec<u8>> {
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&l| l > 0)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("frame body of {} bytes cannot be sent", body.len()),
            )
        })?;
    let mut out = Vec::with_capacity(HEADER_BYTES + body.len());
    out.push(0);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// Write one frame and flush.
pub fn write_frame<W: Write>(w: &mut W, body: &[u8]) -> io::Result<()> {
    w.write_all(&frame(body)?)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its data in fixed-size pieces.
    struct Dribble {
        data: Vec<u8>,
        pos: usize,
        step: usize,
    }

    impl Read for Dribble {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len() - self.pos);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn frames(bodies: &[&[u8]]) -> Vec<u8> {
        bodies.iter().flat_map(|b| frame(b).unwrap()).collect()
    }

    /// A reader that would block before every piece it hands out (a king slow to write).
    struct Stutter {
        data: Vec<u8>,
        pos: usize,
        step: usize,
        blocked: bool,
    }

    impl Read for Stutter {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.blocked = !self.blocked;
            if self.blocked {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = self.step.min(out.len()).min(self.data.len() - self.pos);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn would_block_is_idle_only_between_frames() {
        // Bodies of 5 bytes (a header's length) and 7; pieces of 3 bytes, each after a WouldBlock.
        let data = frames(&[b"abcde", b"0123456"]);
        let mut r = NewtReader::new(Stutter {
            data,
            pos: 0,
            step: 3,
            blocked: false,
        });
        let mut got = Vec::new();
        let mut idles = 0;
        while got.len() < 2 {
            match r.read_frame() {
                Ok(b) => got.push(b),
                Err(FrameError::Idle) => idles += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, vec![b"abcde".to_vec(), b"0123456".to_vec()]);
        // Every piece but those inside a frame was preceded by a WouldBlock: the first frame's at least.
        assert!(idles >= 1);
        loop {
            match r.read_frame() {
                Err(FrameError::Idle) => continue,
                Err(FrameError::Eof) => break,
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn live_reply_bytes() {
        let body = [0x01, 0x9f, 0x2d, 0xcd, 0xae, 0x2c];
        assert_eq!(
            frame(&body).unwrap(),
            [0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x9f, 0x2d, 0xcd, 0xae, 0x2c]
        );
    }

    #[test]
    fn split_and_batched() {
        let big = vec![7u8; 200_000];
        let data = frames(&[b"a", b"hello", &big, b"z"]);
        for step in [1, 2, 3, 5, 7, 4096, 1 << 20] {
            let mut r = NewtReader::new(Dribble {
                data: data.clone(),
                pos: 0,
                step,
            });
            assert_eq!(r.read_frame().unwrap(), b"a");
            assert_eq!(r.read_frame().unwrap(), b"hello");
            assert_eq!(r.read_frame().unwrap(), big);
            assert_eq!(r.read_frame().unwrap(), b"z");
            assert!(matches!(r.read_frame(), Err(FrameError::Eof)));
        }
    }

    #[test]
    fn bad_frames() {
        let mut r = NewtReader::new(&[1u8, 1, 0, 0, 0, 9][..]);
        assert!(matches!(r.read_frame(), Err(FrameError::BadTag(1))));
        let mut r = NewtReader::new(&[0u8, 0, 0, 0, 0][..]);
        assert!(matches!(r.read_frame(), Err(FrameError::ZeroLength)));
        let mut r = NewtReader::new(&[0u8, 4, 0][..]);
        assert!(matches!(
            r.read_frame(),
            Err(FrameError::Truncated {
                expected: 5,
                got: 3
            })
        ));
        let mut r = NewtReader::new(&[0u8, 4, 0, 0, 0, 1, 2][..]);
        assert!(matches!(
            r.read_frame(),
            Err(FrameError::Truncated {
                expected: 9,
                got: 7
            })
        ));
    }

    #[test]
    fn huge_claim_is_not_allocated() {
        // Claims 4 GiB - 1 but sends 3 bytes: must fail as truncated without reserving the claim.
        let mut r = NewtReader::new(&[0u8, 0xff, 0xff, 0xff, 0xff, 1, 2, 3][..]);
        match r.read_frame() {
            Err(FrameError::Truncated { expected, got }) => {
                assert_eq!(expected, 5 + 0xffff_ffff);
                assert_eq!(got, 8);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
