//! One stream type over plain TCP, rustls and native-tls, and the deadline-bounded line reader
//! the SMTP engine reads replies with.

use crate::smtp::reply::{LineEnd, MAX_LINE_LEN};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// A connection to the server, encrypted or not.
pub enum Stream {
    Plain(TcpStream),
    Rustls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Native(Box<native_tls::TlsStream<TcpStream>>),
}

impl Stream {
    /// The TCP socket underneath, for timeouts and shutdown.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Rustls(s) => s.get_ref(),
            Stream::Native(s) => s.get_ref(),
        }
    }

    pub fn is_tls(&self) -> bool {
        !matches!(self, Stream::Plain(_))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Rustls(s) => s.read(buf),
            Stream::Native(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Rustls(s) => s.write(buf),
            Stream::Native(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Rustls(s) => s.flush(),
            Stream::Native(s) => s.flush(),
        }
    }
}

/// Why reading a line failed.
#[derive(Debug)]
pub enum ReadError {
    Timeout,
    /// The server closed the connection; `partial` holds bytes of an unfinished line.
    Closed {
        partial: Vec<u8>,
    },
    LineTooLong,
    Io(io::Error),
}

/// A stream with a read buffer. Reads are bounded by a deadline for the whole reply, so a server
/// that drips one byte a second cannot stretch a read beyond it.
pub struct Connection {
    stream: Option<Stream>,
    buf: Vec<u8>,
}

const READ_CHUNK: usize = 16 * 1024;

impl Connection {
    pub fn new(stream: Stream) -> Connection {
        Connection {
            stream: Some(stream),
            buf: Vec::new(),
        }
    }

    pub fn is_tls(&self) -> bool {
        self.stream.as_ref().is_some_and(Stream::is_tls)
    }

    fn stream(&mut self) -> io::Result<&mut Stream> {
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "not connected"))
    }

    /// Reads one line, terminator removed. Accepts CRLF and bare LF (and says which).
    pub fn read_line(&mut self, deadline: Instant) -> Result<(Vec<u8>, LineEnd), ReadError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                let end = if line.last() == Some(&b'\r') {
                    line.pop();
                    LineEnd::Crlf
                } else {
                    LineEnd::Lf
                };
                if line.len() > MAX_LINE_LEN {
                    return Err(ReadError::LineTooLong);
                }
                return Ok((line, end));
            }
            if self.buf.len() > MAX_LINE_LEN + 2 {
                return Err(ReadError::LineTooLong);
            }
            self.fill(deadline)?;
        }
    }

    /// Reads more bytes into the buffer, waiting at most until `deadline`.
    fn fill(&mut self, deadline: Instant) -> Result<(), ReadError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ReadError::Timeout);
        }
        let stream = self.stream().map_err(ReadError::Io)?;
        let _ = stream.tcp().set_read_timeout(Some(left));
        quick_ack(stream.tcp());
        let mut chunk = [0u8; READ_CHUNK];
        match stream.read(&mut chunk) {
            Ok(0) => Err(ReadError::Closed {
                partial: std::mem::take(&mut self.buf),
            }),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(ReadError::Timeout)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) if is_close(&e) => Err(ReadError::Closed {
                partial: std::mem::take(&mut self.buf),
            }),
            Err(e) => Err(ReadError::Io(e)),
        }
    }

    /// Discards buffered bytes and returns them (RFC 3207 §4.2: after the 220 to STARTTLS,
    /// anything already received in plaintext must be discarded, never read after TLS).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Checks, without waiting, whether the server sent anything nobody asked for.
    pub fn poll_unsolicited(&mut self) -> Result<bool, ReadError> {
        if !self.buf.is_empty() {
            return Ok(true);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Ok(false);
        };
        if stream.tcp().set_nonblocking(true).is_err() {
            return Ok(false);
        }
        let mut chunk = [0u8; READ_CHUNK];
        let result = stream.read(&mut chunk);
        let _ = stream.tcp().set_nonblocking(false);
        match result {
            Ok(0) => Err(ReadError::Closed { partial: vec![] }),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(false)
            }
            Err(e) if is_close(&e) => Err(ReadError::Closed { partial: vec![] }),
            // A TLS record that cannot be decoded yet, and the like: not our concern here.
            Err(_) => Ok(false),
        }
    }

    /// Writes all of `bytes` before `deadline`. A server that stops reading makes the socket's
    /// send buffer fill up; the write timeout then ends the wait.
    pub fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        let stream = self.stream()?;
        let mut rest = bytes;
        while !rest.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "write deadline passed",
                ));
            }
            let _ = stream.tcp().set_write_timeout(Some(left));
            let n = rest.len().min(64 * 1024);
            match stream.write(&rest[..n]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "connection closed",
                    ));
                }
                Ok(w) => rest = &rest[w..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let _ = stream.tcp().set_write_timeout(Some(left));
        stream.flush()
    }

    /// Takes the stream out (for the STARTTLS upgrade). The buffer must have been emptied.
    pub fn into_tcp(mut self) -> Option<TcpStream> {
        match self.stream.take() {
            Some(Stream::Plain(tcp)) => Some(tcp),
            _ => None,
        }
    }

    /// Closes the connection at once, without QUIT.
    pub fn shutdown(&mut self) {
        if let Some(s) = self.stream.as_ref() {
            let _ = s.tcp().shutdown(Shutdown::Both);
        }
    }
}

/// Acknowledges what arrives at once instead of after the delayed-ACK timer (about 40 ms on
/// Linux). Servers that leave Nagle's algorithm on (Postfix with TLS 1.3 sends its session
/// tickets, then holds the next reply until they are acknowledged) would otherwise stall every
/// exchange by that timer. Linux resets the flag after use, so it is set before every read.
pub(crate) fn quick_ack(tcp: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = tcp;
}

fn is_close(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}
