//! SignalWire RELAY client on tokio: answer calls, stream their audio to your WebSocket
//! server (`call.stream`), stop or wait for the stream, hang up.
//!
//! ```no_run
//! use relay_tokio::{Call, Codec, Error, StreamOptions, Track};
//!
//! async fn handle(call: Call) -> Result<(), Error> {
//!     call.answer().await?;
//!     let options = StreamOptions::new()
//!         .track(Track::Inbound)
//!         .codec(Codec::Pcmu)
//!         .custom_parameter("app", "transcriber");
//!     let stream = call.stream("wss://media.example.com/in", options).await?;
//!     let outcome = stream.wait().await?; // or stream.stop().await?
//!     println!("stream ended: {outcome:?}");
//!     call.hangup().await // Ok too when the caller hung up first
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     // SIGNALWIRE_PROJECT_ID, SIGNALWIRE_API_TOKEN (or SIGNALWIRE_JWT_TOKEN), SIGNALWIRE_SPACE
//!     let client = relay_tokio::client().from_env()?.contexts(["default"]).build()?;
//!     client.on_call(|call| async move {
//!         if let Err(e) = handle(call).await {
//!             eprintln!("call failed: {e}");
//!         }
//!     });
//!     client.run().await // connects, reconnects; returns after client.shutdown()
//! }
//! ```
//!
//! # Call control and messaging
//! The whole Calling API is here too (the README's table maps every TypeScript SDK method to
//! its Rust name): bridge a caller to an agent, conferences, queues, transfers, texts.
//!
//! ```no_run
//! use relay_tokio::{Call, Client, ConnectPlan, Device, Error, PlayMedia, SendMessage};
//!
//! async fn to_an_agent(call: Call) -> Result<(), Error> {
//!     call.answer().await?;
//!     let plan = ConnectPlan::single(Device::phone().from("+15550001111").to("+15553330000"))
//!         .ringback([PlayMedia::ringtone("us")]);
//!     match call.connect(plan).await {
//!         // The agent's leg is a call of its own; the bridge ends when either side leaves.
//!         Ok(_agent) => match call.wait_disconnected().await {
//!             Ok(()) => {} // the agent hung up: say goodbye, hang up
//!             Err(e) if e.is_call_gone() => return Ok(()), // the caller hung up: a normal end
//!             Err(e) => return Err(e),
//!         },
//!         Err(Error::ConnectFailed { reason }) => println!("no agent: {reason:?}"),
//!         Err(e) if e.is_call_gone() => return Ok(()), // the caller left during the ringback
//!         Err(e) => return Err(e),
//!     }
//!     call.hangup().await // Ok too when the caller has just hung up
//! }
//!
//! async fn text(client: &Client) -> Result<(), Error> {
//!     let message = SendMessage::new("+15550001111", "+15553330000").body("We called you back");
//!     let sent = client.send_message(message).await?; // accepted by the service
//!     let delivered = sent.wait().await?; // Err(Error::Message(..)) if undelivered or failed
//!     println!("{} is {}", delivered.id, delivered.state);
//!     Ok(())
//! }
//! ```
//!
//! # Testing an app without a network
//! With the `testkit` feature, the same handler runs against a fake RELAY service in memory
//! on virtual time: no socket, no real waiting, the same result every run.
//!
//! ```
//! # #[cfg(feature = "testkit")] {
//! use relay_tokio::testkit::{MemoryRelay, SimConfig};
//! use relay_tokio::{Call, StreamOptions};
//! use std::time::Duration;
//!
//! async fn handle(call: Call) {
//!     call.answer().await.unwrap();
//!     let stream = call.stream("wss://media.example.com/in", StreamOptions::new()).await.unwrap();
//!     stream.wait().await.unwrap();
//!     call.hangup().await.unwrap();
//! }
//!
//! let relay = MemoryRelay::new(SimConfig::new().auto_media(Duration::from_secs(30)));
//! let client = relay.client().contexts(["office"]).build().unwrap();
//! client.on_call(handle);
//! relay.start(&client);
//! relay.run(async {
//!     relay.wait_ready().await;
//!     let id = relay.offer_call("office", "+15551230001", "+15557650002").unwrap();
//!     relay.wait_until(|r| r.call_state(&id) == Some("ended")).await;
//! });
//! assert_eq!(relay.requests("calling.stream").len(), 1);
//! assert!(relay.elapsed() >= Duration::from_secs(30)); // in microseconds of real time
//! # }
//! ```
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
//! This crate only supplies tokio's TCP, timers and tasks; the client is written once in
//! `relay-rs-core` and is the same on every runtime.
#![warn(missing_docs)]
// Library code logs through `tracing`; only examples' programs print.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// The README's example, compiled as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

relay_rs_core::runtime_crate_api!();

use futures_util::future::BoxFuture;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::compat::TokioAsyncReadCompatExt;
use transport::{ByteStream, Runtime};

/// tokio as a [`transport::Runtime`]: tasks go to the runtime that was current when it was
/// made, or to the current one.
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

fn connect_tcp(host: &str, port: u16) -> BoxFuture<'static, io::Result<Box<dyn ByteStream>>> {
    let host = host.to_owned();
    Box::pin(async move {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        stream.set_nodelay(true)?;
        Ok(Box::new(stream.compat()) as Box<dyn ByteStream>)
    })
}

impl Runtime for TokioRuntime {
    fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> BoxFuture<'static, io::Result<Box<dyn ByteStream>>> {
        connect_tcp(host, port)
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

    /// The client's connection runs on a current-thread tokio runtime on a thread of its own
    /// (`relay-io`), so that a handler blocking a thread of the app's runtime (even its only
    /// one) cannot stop acks and pings. `None` (the loop then runs in place) only when that
    /// thread cannot start.
    fn dedicated(&self) -> Option<Arc<dyn Runtime>> {
        match DedicatedRuntime::start() {
            Ok(runtime) => Some(Arc::new(runtime)),
            Err(error) => {
                tracing::warn!(
                    %error,
                    "relay-tokio: no thread for the connection; it shares the app's runtime"
                );
                None
            }
        }
    }
}

/// A current-thread tokio runtime on a thread of its own, for the client's connection. Its
/// thread ends once this is dropped (with every task holding it).
struct DedicatedRuntime {
    handle: tokio::runtime::Handle,
    /// Dropped with the last holder: the thread's `block_on` then returns.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl DedicatedRuntime {
    fn start() -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        relay_rs_core::driver::spawn_logging_thread("relay-io", move || {
            let _ = runtime.block_on(stopped);
        })?;
        Ok(Self {
            handle,
            _stop: stop,
        })
    }
}

impl Runtime for DedicatedRuntime {
    fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> BoxFuture<'static, io::Result<Box<dyn ByteStream>>> {
        connect_tcp(host, port)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        // Made inside the loop's task, so on this runtime's timer.
        Box::pin(tokio::time::sleep(duration))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) {
        drop(self.handle.spawn(task));
    }
}

#[cfg(any(feature = "receiver", feature = "testkit"))]
mod server_runtime {
    use super::TokioRuntime;
    use futures_util::future::BoxFuture;
    use relay_rs_core::server::{Accepted, Listener, ServerRuntime};
    use std::io;
    use std::net::SocketAddr;
    use tokio_util::compat::TokioAsyncReadCompatExt;

    struct TokioListener(tokio::net::TcpListener);

    impl Listener for TokioListener {
        fn accept(&mut self) -> BoxFuture<'_, io::Result<Accepted>> {
            Box::pin(async move {
                let (stream, peer) = self.0.accept().await?;
                stream.set_nodelay(true)?;
                Ok((Box::new(stream.compat()) as _, peer))
            })
        }

        fn local_addr(&self) -> io::Result<SocketAddr> {
            self.0.local_addr()
        }
    }

    impl ServerRuntime for TokioRuntime {
        fn bind_tcp(&self, addr: SocketAddr) -> BoxFuture<'static, io::Result<Box<dyn Listener>>> {
            Box::pin(async move {
                let listener = tokio::net::TcpListener::bind(addr).await?;
                Ok(Box::new(TokioListener(listener)) as Box<dyn Listener>)
            })
        }
    }
}

/// The tokio runtime for the client (and, with the `receiver` or `testkit` feature, for the
/// stream receiver and the simulator server).
pub fn runtime() -> Arc<TokioRuntime> {
    Arc::new(TokioRuntime::new())
}

/// A client builder on tokio: add credentials (or [`ClientBuilder::from_env`]), contexts
/// and options, then [`ClientBuilder::build`].
pub fn client() -> ClientBuilder {
    ClientBuilder::new(runtime())
}
