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
    in_span(handler, span, move |panic| {
        drop(running);
        if let Some(message) = panic {
            report(&client, "on_call", message);
        }
    })
}

/// `handler` boxed with its panic caught (`done` gets its message, or `None`), inside
/// `span` when a subscriber listens: a disabled span is left out, as it would cost each of
/// thousands of live handlers its size for nothing.
fn in_span<F>(
    handler: F,
    span: tracing::Span,
    done: impl FnOnce(Option<String>) + Send + 'static,
) -> BoxFuture<'static, ()>
where
    F: Future<Output = ()> + Send + 'static,
{
    fn guarded<G: Future<Output = ()> + Send + 'static>(
        handler: G,
        done: impl FnOnce(Option<String>) + Send + 'static,
    ) -> BoxFuture<'static, ()> {
        Box::pin(
            AssertUnwindSafe(handler)
                .catch_unwind()
                .map(move |result| done(result.err().map(|p| panic_message(p.as_ref())))),
        )
    }
    if span.is_disabled() {
        guarded(handler, done)
    } else {
        guarded(handler.instrument(span), done)
    }
}

fn report(client: &ClientInner, callback: &'static str, message: String) {
    tracing::error!(callback, panic = %message, "a user callback panicked; the client goes on");
    client.publish(&ClientEvent::CallbackPanicked { callback, message });
}

#[cfg(test)]
mod tests {
    use super::in_span;
    use std::mem::size_of_val;
    use std::sync::{Arc, Mutex};

    /// One handler future lives per call: it carries its call's span only when a subscriber
    /// listens, and a panic inside it is caught and reported either way.
    #[test]
    fn a_handler_carries_its_span_only_when_someone_listens() {
        let quiet = in_span(async {}, tracing::Span::none(), |_| {});
        let subscriber = tracing_subscriber::fmt()
            .with_writer(std::io::sink)
            .finish();
        let listened = tracing::subscriber::with_default(subscriber, || {
            in_span(async {}, tracing::info_span!("call"), |_| {})
        });
        assert!(size_of_val(&*quiet) < size_of_val(&*listened));

        let caught = Arc::new(Mutex::new(None));
        let sink = caught.clone();
        let panicking = in_span(
            async { panic!("handler broke") },
            tracing::Span::none(),
            move |panic| *sink.lock().unwrap() = panic,
        );
        assert_eq!(futures_util::FutureExt::now_or_never(panicking), Some(()));
        assert_eq!(caught.lock().unwrap().as_deref(), Some("handler broke"));
    }
}
