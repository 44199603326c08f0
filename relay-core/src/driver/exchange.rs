//! One request's round trip between a handle and the event loop, in one allocation: the op
//! the loop runs against the engine and the slot its answer comes back in.
//!
//! Each call's answer and stream start pass here, so this is one allocation per request
//! where a boxed op beside a reply channel was two. Dropped unanswered by the loop (it
//! ended, or the command never reached it), an exchange answers [`Error::Closed`].

use super::callbacks::panic_message;
use super::error::Error;
use crate::engine::Engine;
use crate::error::CommandError;
use std::future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};
use std::time::Instant;

/// The shared part: the op until the loop runs it, then the answer until it is taken.
pub(crate) struct Exchange<F, T> {
    state: Mutex<State<F, T>>,
}

struct State<F, T> {
    stage: Stage<F, T>,
    /// The handle's task, while it waits.
    waker: Option<Waker>,
}

enum Stage<F, T> {
    Op(F),
    Running,
    /// An error is boxed: thousands of exchanges wait for their answer in a burst of
    /// calls, each sized for the largest answer, and an error is the rare one.
    Answered(Result<T, Box<Error>>),
    Taken,
}

/// What the loop sees of an exchange, whatever its op: run it once, answer it once.
pub(crate) trait Ask<R, T>: Send + Sync {
    /// Runs the op (the first time only; later calls are refused as closed).
    fn run(&self, engine: &mut Engine, now: Instant) -> Result<R, CommandError>;
    /// Hands the answer over and wakes the handle; an exchange answered before keeps its
    /// first answer.
    fn answer(&self, result: Result<T, Error>);
}

impl<F, T> Exchange<F, T> {
    fn lock(&self) -> MutexGuard<'_, State<F, T>> {
        // The lock is never held across user code, so a poisoned one is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the answer. Cancel-safe: a wait given up leaves only its waker.
    pub(crate) async fn wait(&self) -> Result<T, Error> {
        future::poll_fn(|cx| {
            let mut state = self.lock();
            match std::mem::replace(&mut state.stage, Stage::Taken) {
                Stage::Answered(result) => Poll::Ready(result.map_err(|e| *e)),
                Stage::Taken => Poll::Ready(Err(Error::Closed)),
                waiting => {
                    state.stage = waiting;
                    if !state
                        .waker
                        .as_ref()
                        .is_some_and(|w| w.will_wake(cx.waker()))
                    {
                        state.waker = Some(cx.waker().clone());
                    }
                    Poll::Pending
                }
            }
        })
        .await
    }
}

impl<F, R, T> Ask<R, T> for Exchange<F, T>
where
    F: FnOnce(&mut Engine, Instant) -> Result<R, CommandError> + Send,
    T: Send,
{
    fn run(&self, engine: &mut Engine, now: Instant) -> Result<R, CommandError> {
        let op = {
            let mut state = self.lock();
            match std::mem::replace(&mut state.stage, Stage::Running) {
                Stage::Op(op) => op,
                other => {
                    state.stage = other;
                    return Err(CommandError::Closed);
                }
            }
        };
        op(engine, now)
    }

    fn answer(&self, result: Result<T, Error>) {
        let waker = {
            let mut state = self.lock();
            if matches!(state.stage, Stage::Answered(_) | Stage::Taken) {
                return;
            }
            state.stage = Stage::Answered(result.map_err(Box::new));
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The loop's end of an exchange. Dropped without an answer, it answers
/// [`Error::Closed`], so a handle never waits for a command that was lost.
pub(crate) struct Asked<R, T>(Arc<dyn Ask<R, T>>);

impl<R, T> Asked<R, T> {
    /// Runs the op once. The op serialises the user's params (any `Serialize`), which is
    /// user code running on the loop: a panic in it fails this request, not the client.
    /// The engine writes a request's frame before it files anything, so it stays consistent.
    pub(crate) fn run(&self, engine: &mut Engine, now: Instant) -> Result<R, CommandError> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.0.run(engine, now))) {
            Ok(result) => result,
            Err(payload) => {
                let reason = panic_message(payload.as_ref());
                tracing::error!(%reason, "writing a request's params panicked; the request fails");
                Err(CommandError::InvalidOption(format!(
                    "writing the params panicked: {reason}"
                )))
            }
        }
    }

    pub(crate) fn answer(self, result: Result<T, Error>) {
        self.0.answer(result);
    }
}

impl<R, T> Drop for Asked<R, T> {
    fn drop(&mut self) {
        // A no-op when answered already.
        self.0.answer(Err(Error::Closed));
    }
}

/// A new exchange for `op`: the handle's end, to wait on and to make the loop's end
/// ([`Exchange::asked`]) when the command is sent. A future holding it holds one pointer.
pub(crate) fn exchange<F, R, T>(op: F) -> Arc<Exchange<F, T>>
where
    F: FnOnce(&mut Engine, Instant) -> Result<R, CommandError> + Send + 'static,
    R: 'static,
    T: Send + 'static,
{
    Arc::new(Exchange {
        state: Mutex::new(State {
            stage: Stage::Op(op),
            waker: None,
        }),
    })
}

impl<F, T> Exchange<F, T> {
    /// The loop's end, to send (the same allocation).
    pub(crate) fn asked<R>(self: &Arc<Self>) -> Asked<R, T>
    where
        Self: Ask<R, T> + 'static,
    {
        Asked(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::exchange;
    use crate::config::{Credentials, EngineConfig};
    use crate::driver::error::Error;
    use crate::engine::Engine;
    use crate::error::CommandError;
    use futures_util::FutureExt;
    use std::time::Instant;

    fn engine() -> Engine {
        Engine::new(EngineConfig::new(Credentials::jwt("jwt")))
    }

    #[test]
    fn the_op_runs_once_and_the_first_answer_is_the_one_waited_for() {
        let handle = exchange(|_: &mut Engine, _| Ok::<_, CommandError>(7u8));
        let asked = handle.asked();
        assert!(handle.wait().now_or_never().is_none(), "no answer yet");
        let mut engine = engine();
        assert_eq!(asked.run(&mut engine, Instant::now()), Ok(7));
        assert_eq!(
            asked.run(&mut engine, Instant::now()),
            Err(CommandError::Closed)
        );
        asked.answer(Ok::<_, Error>("done"));
        assert!(matches!(handle.wait().now_or_never(), Some(Ok("done"))));
    }

    #[test]
    fn an_exchange_dropped_by_the_loop_unanswered_answers_closed() {
        let handle = exchange(|_: &mut Engine, _| Ok::<_, CommandError>(()));
        let asked = handle.asked();
        drop(asked);
        assert!(matches!(
            handle.wait().now_or_never(),
            Some(Err::<(), _>(Error::Closed))
        ));
    }
}
