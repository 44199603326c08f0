//! Where the client's connections come from. The default opens a WebSocket to the RELAY
//! host; the `testkit` feature's connector opens in-memory ones to a fake service.

use super::open_error::OpenError;
use super::runtime::Runtime;
use super::transport::{connect_websocket, ConnectOptions, Transport, WsTransport};
use futures_util::future::BoxFuture;
use std::fmt;
use std::sync::Arc;

/// Opens one connection to the RELAY service for each attempt of the client.
pub trait Connector: Send + Sync + 'static {
    /// Opens a connection. The client bounds it with its request time-out.
    fn open(&self) -> BoxFuture<'static, Result<Box<dyn Transport>, OpenError>>;
    /// Where it connects, for logs (no secrets).
    fn target(&self) -> String;
}

/// The WebSocket connector: TCP from the runtime, TLS by rustls, then the handshake.
pub struct WsConnector {
    runtime: Arc<dyn Runtime>,
    options: ConnectOptions,
}

impl WsConnector {
    /// Connects as `options` say, over `runtime`'s TCP.
    pub fn new(runtime: Arc<dyn Runtime>, options: ConnectOptions) -> Self {
        Self { runtime, options }
    }
}

impl fmt::Debug for WsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsConnector")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Connector for WsConnector {
    fn open(&self) -> BoxFuture<'static, Result<Box<dyn Transport>, OpenError>> {
        let runtime = self.runtime.clone();
        let options = self.options.clone();
        Box::pin(async move {
            let ws = connect_websocket(runtime.as_ref(), &options, &[]).await?;
            Ok(Box::new(WsTransport::new(ws)) as Box<dyn Transport>)
        })
    }

    fn target(&self) -> String {
        self.options.url.clone()
    }
}
