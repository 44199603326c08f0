//! A bounded in-memory byte pipe, both ends `AsyncRead + AsyncWrite`: a WebSocket runs over it
//! in memory, on whatever executor polls it (the `MemoryRelay`'s virtual time included).

use futures_util::io::{AsyncRead, AsyncWrite};
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// Bytes one direction holds before the writer waits: like a socket buffer, so a far end that
/// never reads holds the writer back instead of growing memory.
const CAPACITY: usize = 256 * 1024;

#[derive(Default)]
struct Direction {
    bytes: VecDeque<u8>,
    closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

type Shared = Arc<Mutex<Direction>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Direction> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One end of a [`memory_pipe`]. Dropping it closes both directions.
pub struct MemoryStream {
    incoming: Shared,
    outgoing: Shared,
}

impl std::fmt::Debug for MemoryStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStream").finish_non_exhaustive()
    }
}

/// Two connected ends: what one writes, the other reads.
pub fn memory_pipe() -> (MemoryStream, MemoryStream) {
    let a: Shared = Arc::default();
    let b: Shared = Arc::default();
    (
        MemoryStream {
            incoming: a.clone(),
            outgoing: b.clone(),
        },
        MemoryStream {
            incoming: b,
            outgoing: a,
        },
    )
}

fn close(shared: &Shared) {
    let mut d = lock(shared);
    d.closed = true;
    if let Some(w) = d.reader.take() {
        w.wake();
    }
    if let Some(w) = d.writer.take() {
        w.wake();
    }
}

impl Drop for MemoryStream {
    fn drop(&mut self) {
        close(&self.incoming);
        close(&self.outgoing);
    }
}

impl AsyncRead for MemoryStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut d = lock(&self.incoming);
        if d.bytes.is_empty() {
            if d.closed {
                return Poll::Ready(Ok(0));
            }
            d.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = buf.len().min(d.bytes.len());
        for (slot, byte) in buf.iter_mut().zip(d.bytes.drain(..n)) {
            *slot = byte;
        }
        if let Some(w) = d.writer.take() {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for MemoryStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut d = lock(&self.outgoing);
        if d.closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let room = CAPACITY.saturating_sub(d.bytes.len());
        if room == 0 {
            d.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        d.bytes.extend(&buf[..n]);
        if let Some(w) = d.reader.take() {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        close(&self.outgoing);
        Poll::Ready(Ok(()))
    }
}

/// A WebSocket over a [`memory_pipe`], both handshakes done: (the client's end, the server's
/// end). The client sends `Authorization: Bearer token` when `bearer` is set; the server's
/// end returns it, for the app's check.
pub async fn memory_websocket(
    url: &str,
    bearer: Option<&str>,
) -> Result<
    (
        async_tungstenite::WebSocketStream<MemoryStream>,
        async_tungstenite::WebSocketStream<MemoryStream>,
        Option<String>,
    ),
    async_tungstenite::tungstenite::Error,
> {
    use async_tungstenite::tungstenite::client::IntoClientRequest;
    use async_tungstenite::tungstenite::handshake::server::{Request, Response};
    use async_tungstenite::tungstenite::http::HeaderValue;
    let (client_io, server_io) = memory_pipe();
    let mut request = url.into_client_request()?;
    if let Some(token) = bearer {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| async_tungstenite::tungstenite::Error::HttpFormat(e.into()))?;
        request.headers_mut().insert("Authorization", value);
    }
    let mut seen = None;
    // The callback's error type is tungstenite's; it never returns one.
    #[allow(clippy::result_large_err)]
    let server = async_tungstenite::accept_hdr_async(server_io, |req: &Request, res: Response| {
        seen = req
            .headers()
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        Ok(res)
    });
    let client = async_tungstenite::client_async(request, client_io);
    let (client, server) = futures_util::future::join(client, server).await;
    let (client, _) = client?;
    let server = server?;
    Ok((client, server, seen))
}
