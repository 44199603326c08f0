//! What the examples' real-socket tests share: a tokio runtime, the simulator serving on a
//! loopback port, and a client of it receiving one context.

use relay_tokio::testkit::{Pacing, SimConfig, SimServer, SimServerBuilder};
use relay_tokio::Client;
use std::future::Future;

/// Runs `future` on a two-worker tokio runtime, as an app would.
pub fn on_tokio<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// The simulator on a loopback port (fast pacing) and a client of it on `context`, not yet
/// running.
pub async fn sim_and_client(config: SimConfig, context: &str) -> (SimServer, Client) {
    let sim = SimServerBuilder::new(config)
        .pacing(Pacing::Fast)
        .start(relay_tokio::runtime())
        .await
        .expect("the simulator serves");
    let client = relay_tokio::client()
        .project_token("project", "token")
        .host(sim.host())
        .allow_insecure_loopback(true)
        .contexts([context])
        .build()
        .expect("a client");
    (sim, client)
}
