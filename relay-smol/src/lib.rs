//! SignalWire RELAY client on smol, plus [`blocking`] for programs with no async code.
//!
//! This crate only supplies smol's TCP, timers and tasks; the client itself is
//! [`relay_core::driver`], re-exported here.
#![warn(missing_docs)]

pub mod blocking;

pub use relay_core::driver::*;
pub use relay_core::{
    ActionKind, ActionOutcome, BackoffConfig, CallInfo, CallState, Codec, Device, DialPlan,
    Direction, EndReason, Event, HttpMethod, PlayMedia, StreamOptions, Track,
};

use futures_util::future::BoxFuture;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// smol as a [`Runtime`]: tasks run on smol's global executor.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolRuntime;

struct SmolListener(smol::net::TcpListener);

impl Listener for SmolListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Accepted>> {
        Box::pin(async move {
            let (stream, peer) = self.0.accept().await?;
            stream.set_nodelay(true)?;
            Ok((Box::new(stream) as Box<dyn ByteStream>, peer))
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Runtime for SmolRuntime {
    fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> BoxFuture<'static, io::Result<Box<dyn ByteStream>>> {
        let host = host.to_owned();
        Box::pin(async move {
            let stream = smol::net::TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream) as Box<dyn ByteStream>)
        })
    }

    fn bind_tcp(&self, addr: SocketAddr) -> BoxFuture<'static, io::Result<Box<dyn Listener>>> {
        Box::pin(async move {
            let listener = smol::net::TcpListener::bind(addr).await?;
            Ok(Box::new(SmolListener(listener)) as Box<dyn Listener>)
        })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            smol::Timer::after(duration).await;
        })
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) {
        smol::spawn(task).detach();
    }
}

/// smol as a shared [`Runtime`].
pub fn runtime() -> Arc<dyn Runtime> {
    Arc::new(SmolRuntime)
}

/// A client builder on smol.
pub fn client() -> ClientBuilder {
    ClientBuilder::new(runtime())
}
