//! Running user code so that it cannot take the client down: panics are caught, reported
//! as [`ClientEvent::CallbackPanicked`] and logged; the client and other calls go on.

use super::call::Call;
use super::client::ClientInner;
use super::client_event::ClientEvent;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tracing::Instrument;

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Spawns `task` on the client's runtime; a panic inside it is caught and reported.
pub(crate) fn spawn_guarded(
    client: &Arc<ClientInner>,
    callback: &'static str,
    task: impl Future<Output = ()> + Send + 'static,
) {
    let reporter = client.clone();
    client.runtime.spawn(Box::pin(async move {
        if let Err(payload) = AssertUnwindSafe(task).catch_unwind().await {
            report(&reporter, callback, panic_message(payload.as_ref()));
        }
    }));
}

/// An `on_call` handler's future as spawned, in one allocation: its logs carry the call
/// id, it is counted as running until it returns or unwinds, and its panic is caught and
/// reported. Built from combinators over the handler's own future rather than `async`
/// blocks around a boxed one, which would box twice and keep a copy of it per block: one
/// of these lives per call.
pub(crate) fn guard_handler<F>(call: &Call, handler: F) -> BoxFuture<'static, ()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let client = call.client.clone();
    let running = client.handlers.enter();
    let span = tracing::info_span!("call", call_id = %call.id());
    Box::pin(
        AssertUnwindSafe(handler.instrument(span))
            .catch_unwind()
            .map(move |result| {
                drop(running);
                if let Err(payload) = result {
                    report(&client, "on_call", panic_message(payload.as_ref()));
                }
            }),
    )
}

fn report(client: &ClientInner, callback: &'static str, message: String) {
    tracing::error!(callback, panic = %message, "a user callback panicked; the client goes on");
    client.publish(&ClientEvent::CallbackPanicked { callback, message });
}
