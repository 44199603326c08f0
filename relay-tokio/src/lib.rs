//! SignalWire RELAY client on tokio.
//!
//! This crate only supplies tokio's TCP, timers and tasks; the client itself is
//! [`relay_core::driver`], re-exported here.
#![warn(missing_docs)]

/// The README's example, compiled as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

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
use tokio_util::compat::TokioAsyncReadCompatExt;

/// tokio as a [`Runtime`]: tasks go to the runtime that was current when it was made, or to
/// the current one.
#[derive(Debug, Clone, Default)]
pub struct TokioRuntime {
    handle: Option<tokio::runtime::Handle>,
}

impl TokioRuntime {
    /// Uses the runtime current at this call, if any.
    pub fn new() -> Self {
        Self {
            handle: tokio::runtime::Handle::try_current().ok(),
        }
    }
}

struct TokioListener(tokio::net::TcpListener);

impl Listener for TokioListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Accepted>> {
        Box::pin(async move {
            let (stream, peer) = self.0.accept().await?;
            stream.set_nodelay(true)?;
            Ok((Box::new(stream.compat()) as Box<dyn ByteStream>, peer))
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Runtime for TokioRuntime {
    fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> BoxFuture<'static, io::Result<Box<dyn ByteStream>>> {
        let host = host.to_owned();
        Box::pin(async move {
            let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream.compat()) as Box<dyn ByteStream>)
        })
    }

    fn bind_tcp(&self, addr: SocketAddr) -> BoxFuture<'static, io::Result<Box<dyn Listener>>> {
        Box::pin(async move {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            Ok(Box::new(TokioListener(listener)) as Box<dyn Listener>)
        })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) {
        match &self.handle {
            Some(handle) => drop(handle.spawn(task)),
            None => drop(tokio::spawn(task)),
        }
    }
}

/// The tokio runtime as a shared [`Runtime`].
pub fn runtime() -> Arc<dyn Runtime> {
    Arc::new(TokioRuntime::new())
}

/// A client builder on tokio.
pub fn client() -> ClientBuilder {
    ClientBuilder::new(runtime())
}
