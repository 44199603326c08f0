//! A WebSocket client written by hand, for tests that play a hostile or broken peer: it
//! shows the close frame's code and reason, and reads only when asked (so it can stop
//! reading altogether), which a well-behaved client library never does.

use crate::driver::{ByteStream, Runtime};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use std::io;
use std::net::SocketAddr;

/// The largest frame [`RawWebSocket::next_frame`] reads; a bigger one is an error.
const MAX_FRAME: u64 = 16 << 20;

/// One frame from the server: its opcode (`1` text, `8` close, …) and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    /// The opcode.
    pub opcode: u8,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

/// A plain `ws://` client over one TCP connection; see the module docs.
pub struct RawWebSocket {
    socket: Box<dyn ByteStream>,
}

impl std::fmt::Debug for RawWebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawWebSocket").finish_non_exhaustive()
    }
}

impl RawWebSocket {
    /// Connects to `addr` and does the upgrade, with `headers` added to the request; an
    /// answer other than `101` is an error carrying its status line.
    pub async fn connect(
        runtime: &dyn Runtime,
        addr: SocketAddr,
        headers: &[(&str, &str)],
    ) -> io::Result<Self> {
        let mut socket = runtime
            .connect_tcp(&addr.ip().to_string(), addr.port())
            .await?;
        let mut request = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        socket.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            socket.read_exact(&mut byte).await?;
            head.push(byte[0]);
            if head.len() > 16 << 10 {
                return Err(io::Error::other("the upgrade answer is too long"));
            }
        }
        if !head.starts_with(b"HTTP/1.1 101") {
            let status = String::from_utf8_lossy(&head);
            let line = status.lines().next().unwrap_or_default().to_owned();
            return Err(io::Error::other(format!("upgrade refused: {line}")));
        }
        Ok(Self { socket })
    }

    /// Sends a masked text frame.
    pub async fn send_text(&mut self, text: &str) -> io::Result<()> {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x37u8, 0xfa, 0x21, 0x3d];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.socket.write_all(&frame).await?;
        self.socket.flush().await
    }

    /// The next frame; `None` when the socket ended.
    pub async fn next_frame(&mut self) -> io::Result<Option<RawFrame>> {
        let mut head = [0u8; 2];
        match self.socket.read_exact(&mut head).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let len = match head[1] & 0x7f {
            126 => {
                let mut n = [0u8; 2];
                self.socket.read_exact(&mut n).await?;
                u64::from(u16::from_be_bytes(n))
            }
            127 => {
                let mut n = [0u8; 8];
                self.socket.read_exact(&mut n).await?;
                u64::from_be_bytes(n)
            }
            n => u64::from(n),
        };
        if len > MAX_FRAME {
            return Err(io::Error::other(format!("a {len}-byte frame")));
        }
        let mut payload = vec![0u8; len as usize];
        self.socket.read_exact(&mut payload).await?;
        Ok(Some(RawFrame {
            opcode: head[0] & 0x0f,
            payload,
        }))
    }

    /// Reads frames until a close frame and returns its code and reason; `None` if the
    /// socket ended (or failed) without one.
    pub async fn close_frame(&mut self) -> Option<(u16, String)> {
        while let Ok(Some(frame)) = self.next_frame().await {
            if frame.opcode == 0x8 {
                let code = u16::from_be_bytes([*frame.payload.first()?, *frame.payload.get(1)?]);
                let reason = String::from_utf8_lossy(&frame.payload[2..]).into_owned();
                return Some((code, reason));
            }
        }
        None
    }

    /// Whether the server ended the connection: reads (and drops) frames until the socket
    /// ends or fails.
    pub async fn wait_closed(&mut self) {
        let mut buf = [0u8; 4096];
        while matches!(self.socket.read(&mut buf).await, Ok(n) if n > 0) {}
    }
}
