//! What a runtime crate supplies: TCP connect, sleep and spawn. Everything else (TLS, the
//! WebSocket, the event loop) is written once on top of these.

use futures_util::future::BoxFuture;
use futures_util::io::{AsyncRead, AsyncWrite};
use std::io;
use std::time::Duration;

/// A byte stream the WebSocket can run over (a TCP socket, or TLS over one).
pub trait ByteStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> ByteStream for T {}

/// An accepted connection and its peer address.
pub type Accepted = (Box<dyn ByteStream>, std::net::SocketAddr);

/// A listening TCP socket.
pub trait Listener: Send {
    /// Waits for the next connection. Cancel-safe.
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Accepted>>;
    /// The bound address.
    fn local_addr(&self) -> io::Result<std::net::SocketAddr>;
}

/// The three things the driver needs from an async runtime.
pub trait Runtime: Send + Sync + 'static {
    /// Opens a TCP connection.
    fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> BoxFuture<'static, io::Result<Box<dyn ByteStream>>>;
    /// Binds a TCP listener (for the stream receiver and the simulator).
    fn bind_tcp(
        &self,
        addr: std::net::SocketAddr,
    ) -> BoxFuture<'static, io::Result<Box<dyn Listener>>>;
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
    /// Runs a task in the background.
    fn spawn(&self, task: BoxFuture<'static, ()>);
}
