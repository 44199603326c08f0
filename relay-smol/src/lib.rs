//! SignalWire RELAY client on smol, plus [`blocking`] for programs with no async code:
//! answer calls, stream their audio to your WebSocket server (`call.stream`), stop or wait
//! for the stream, hang up.
//!
//! ```no_run
//! use relay_smol::{Call, Codec, Error, StreamOptions, Track};
//!
//! async fn handle(call: Call) -> Result<(), Error> {
//!     call.answer().await?;
//!     let options = StreamOptions::new().track(Track::Inbound).codec(Codec::Pcmu);
//!     let stream = call.stream("wss://media.example.com/in", options).await?;
//!     println!("stream ended: {:?}", stream.wait().await?);
//!     call.hangup().await
//! }
//!
//! fn main() -> Result<(), Error> {
//!     let client = relay_smol::client().from_env()?.contexts(["default"]).build()?;
//!     client.on_call(|call| async move {
//!         if let Err(e) = handle(call).await {
//!             eprintln!("call failed: {e}");
//!         }
//!     });
//!     smol::block_on(client.run())
//! }
//! ```
//!
//! With no async code at all, [`blocking::BlockingClient`]:
//!
//! ```no_run
//! use relay_smol::blocking::BlockingClient;
//! use relay_smol::StreamOptions;
//! use std::time::Duration;
//!
//! let client = BlockingClient::start(relay_smol::client().from_env()?.contexts(["default"]))?;
//! while let Some(call) = client.next_call(Duration::from_secs(3600)) {
//!     call.answer()?;
//!     let stream = call.stream("wss://media.example.com/in", StreamOptions::new())?;
//!     stream.wait()?;
//!     call.hangup()?;
//! }
//! # Ok::<(), relay_smol::Error>(())
//! ```
//!
//! Or a fixed pool of handler threads, at most that many calls at once:
//!
//! ```no_run
//! use relay_smol::blocking::BlockingClient;
//!
//! let client = BlockingClient::start(relay_smol::client().from_env()?.contexts(["default"]))?;
//! client.on_call(8, |call| {
//!     if call.answer().is_ok() {
//!         let _ = call.play_tts("Hello").and_then(|play| play.wait());
//!         let _ = call.hangup();
//!     }
//! })?;
//! # Ok::<(), relay_smol::Error>(())
//! ```
//!
//! Blocking code runs in memory on [`testkit::MemoryRelay`] too: its virtual clock moves
//! only while every handler thread waits (see `relay-smol/tests/blocking_memory.rs`).
//!
//! # Testing an app without a network
//! With the `testkit` feature, [`testkit::MemoryRelay`] runs the client against a fake RELAY
//! service in memory on virtual time (see the example on `relay-tokio`'s front page; the
//! API is the same).
//!
//! # Features
//! - `receiver`: [`receiver`], a WebSocket server that receives `calling.stream` audio, and
//!   [`media`] (G.711, the per-track assembler, WAV).
//! - `testkit`: [`testkit`], the client in memory on virtual time, and the simulator server.
//!
//! `§` numbers in these pages point into [docs/CALLING-API.md](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), the project's digest
//! of SignalWire's Calling API. Consuming [`IncomingCalls`] or [`CallEvents`] takes
//! `StreamExt`, re-exported here: no `futures` dependency of your own is needed.
//!
//! This crate only supplies smol's TCP, timers and tasks; the client is written once in
//! `relay-rs-core` and is the same on every runtime.
#![warn(missing_docs)]
// Library code logs through `tracing`; only examples' programs print.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod blocking;
#[cfg(feature = "receiver")]
pub mod blocking_media;

relay_rs_core::runtime_crate_api!();

use futures_util::future::BoxFuture;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use transport::{ByteStream, Runtime};

/// smol as a [`transport::Runtime`]: tasks run on smol's global executor.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolRuntime;

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

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            smol::Timer::after(duration).await;
        })
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) {
        smol::spawn(task).detach();
    }

    fn block_on(&self, future: futures_util::future::LocalBoxFuture<'_, ()>) {
        // smol's block_on also drives the IO reactor while this thread waits.
        smol::block_on(future)
    }

    /// The client's connection runs on an executor of its own on a thread of its own
    /// (`relay-io`), so that a handler blocking smol's threads cannot stop acks and pings.
    fn dedicated(&self) -> Option<Arc<dyn Runtime>> {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let runner = executor.clone();
        relay_rs_core::driver::spawn_logging_thread("relay-io", move || {
            smol::block_on(runner.run(async { stopped.recv().await.ok() }));
        })
        .ok()?;
        Some(Arc::new(DedicatedRuntime {
            executor,
            _stop: stop,
        }))
    }
}

/// An executor on a thread of its own, for the client's connection; the thread ends once
/// this is dropped (with every task holding it).
struct DedicatedRuntime {
    executor: Arc<smol::Executor<'static>>,
    /// Dropped with the last holder: the thread's executor then stops.
    _stop: smol::channel::Sender<()>,
}

impl Runtime for DedicatedRuntime {
    fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> BoxFuture<'static, io::Result<Box<dyn ByteStream>>> {
        SmolRuntime.connect_tcp(host, port)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        SmolRuntime.sleep(duration)
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.executor.spawn(task).detach();
    }
}

#[cfg(any(feature = "receiver", feature = "testkit"))]
mod server_runtime {
    use super::SmolRuntime;
    use futures_util::future::BoxFuture;
    use relay_rs_core::server::{Accepted, Listener, ServerRuntime};
    use std::io;
    use std::net::SocketAddr;

    struct SmolListener(smol::net::TcpListener);

    impl Listener for SmolListener {
        fn accept(&mut self) -> BoxFuture<'_, io::Result<Accepted>> {
            Box::pin(async move {
                let (stream, peer) = self.0.accept().await?;
                stream.set_nodelay(true)?;
                Ok((Box::new(stream) as _, peer))
            })
        }

        fn local_addr(&self) -> io::Result<SocketAddr> {
            self.0.local_addr()
        }
    }

    impl ServerRuntime for SmolRuntime {
        fn bind_tcp(&self, addr: SocketAddr) -> BoxFuture<'static, io::Result<Box<dyn Listener>>> {
            Box::pin(async move {
                let listener = smol::net::TcpListener::bind(addr).await?;
                Ok(Box::new(SmolListener(listener)) as Box<dyn Listener>)
            })
        }
    }
}

/// smol for the client (and, with the `receiver` or `testkit` feature, for the stream
/// receiver and the simulator server).
pub fn runtime() -> Arc<SmolRuntime> {
    Arc::new(SmolRuntime)
}

/// A client builder on smol: add credentials (or [`ClientBuilder::from_env`]), contexts and
/// options, then [`ClientBuilder::build`].
pub fn client() -> ClientBuilder {
    ClientBuilder::new(runtime())
}
