//! A tiny single-threaded executor that can tell when everything is idle, which is what
//! lets the virtual clock jump: time moves only when no task can make progress.

use futures_util::future::BoxFuture;
use futures_util::task::{waker_ref, ArcWake};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Context;

/// Spawned tasks, polled in the order they were woken: runs are deterministic.
#[derive(Default)]
pub(crate) struct Executor {
    ready: Mutex<VecDeque<Arc<Task>>>,
}

struct Task {
    future: Mutex<Option<BoxFuture<'static, ()>>>,
    queued: AtomicBool,
    executor: Arc<Executor>,
}

impl ArcWake for Task {
    fn wake_by_ref(task: &Arc<Self>) {
        if !task.queued.swap(true, Ordering::AcqRel) {
            task.executor
                .ready
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_back(task.clone());
        }
    }
}

impl Executor {
    pub(crate) fn spawn(self: &Arc<Self>, future: BoxFuture<'static, ()>) {
        let task = Arc::new(Task {
            future: Mutex::new(Some(future)),
            queued: AtomicBool::new(false),
            executor: self.clone(),
        });
        ArcWake::wake_by_ref(&task);
    }

    /// Whether a task is woken and waiting to be polled.
    pub(crate) fn has_ready(&self) -> bool {
        !self
            .ready
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Polls woken tasks until none is left; how many polls ran.
    pub(crate) fn run_until_stalled(&self) -> usize {
        let mut polls = 0;
        loop {
            let next = self
                .ready
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front();
            let Some(task) = next else {
                return polls;
            };
            task.queued.store(false, Ordering::Release);
            let mut slot = task.future.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(future) = slot.as_mut() {
                polls += 1;
                let waker = waker_ref(&task);
                if future
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_ready()
                {
                    *slot = None;
                }
            }
        }
    }
}

/// A flag set when the future under test is woken.
#[derive(Default)]
pub(crate) struct WakeFlag(AtomicBool);

impl WakeFlag {
    pub(crate) fn take(&self) -> bool {
        self.0.swap(false, Ordering::AcqRel)
    }
}

impl ArcWake for WakeFlag {
    fn wake_by_ref(flag: &Arc<Self>) {
        flag.0.store(true, Ordering::Release);
    }
}
