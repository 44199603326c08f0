//! Requests in flight: by id until their answer, their deadline or the loss of their socket,
//! with the queue for requests made while disconnected.

use super::output::Output;
use super::FastMap;
use crate::calling::descriptor::ActionDescriptor;
use crate::frame;
use crate::ids::{CallId, ControlId, DialTag, RequestId};
use serde::Serialize;
use std::collections::{BTreeSet, VecDeque};
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Capacity above which the tables give memory back: an emptied one its whole table, one
/// far below its capacity the most of it (after a burst, a table sized for 10,000
/// requests in flight would otherwise stay for ever).
const RELEASED_CAPACITY: usize = 1024;

/// Who is waiting for a request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PendingKind {
    /// `signalwire.connect`.
    Connect { resuming: bool },
    /// Our `signalwire.ping`.
    Ping,
    /// Sent by the engine itself (e.g. passing a call over the cap); no event.
    Internal,
    /// A user request on no particular call.
    User,
    /// A user request about one call (answer, end, …).
    Call(CallId),
    /// The start of an action.
    ActionStart(CallId, ControlId),
    /// The stop of an action.
    ActionStop(CallId, ControlId),
    /// `calling.dial`.
    Dial(DialTag),
    /// `messaging.send`.
    Message,
    /// `calling.transfer` or `calling.pass` from the user: on success the call leaves this
    /// client.
    HandOver(CallId),
}

/// A request's method, kept for its time-out's error and a hand-over. The engine's own
/// methods are static and an action's start method is its descriptor's (shared by every
/// action of its kind): only a method the user names is copied.
#[derive(Debug, Clone)]
pub(super) enum Method {
    Static(&'static str),
    /// The descriptor's `start_method`.
    Start(Arc<ActionDescriptor>),
    Text(Box<str>),
}

impl Method {
    /// A method named by the user (copied).
    pub(super) fn text(method: &str) -> Self {
        Method::Text(method.into())
    }

    pub(super) fn as_str(&self) -> &str {
        match self {
            Method::Static(method) => method,
            Method::Start(descriptor) => &descriptor.start_method,
            Method::Text(method) => method,
        }
    }
}

impl From<String> for Method {
    fn from(method: String) -> Self {
        Method::Text(method.into_boxed_str())
    }
}

impl From<&'static str> for Method {
    fn from(method: &'static str) -> Self {
        Method::Static(method)
    }
}

/// One request waiting for its answer (or for a connection). One lives per request in
/// flight (10,000 in a burst of calls): its text is not here but in the queue while it
/// waits there, and its method is not copied (see [`Method`]).
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) method: Method,
    pub(super) kind: PendingKind,
    /// Set by [`Requests::add`].
    deadline: Option<At>,
    /// Gone out on a socket (a sent request is never sent again: the loss of its socket
    /// fails it); otherwise its text waits in the queue.
    pub(super) sent: bool,
}

impl Pending {
    pub(super) fn new(method: Method, kind: PendingKind, sent: bool) -> Self {
        Self {
            method,
            kind,
            deadline: None,
            sent,
        }
    }
}

/// A deadline in 8 bytes where an `Instant` takes 16 (one is kept per request in flight,
/// twice): signed nanoseconds from the table's epoch (its first deadline), the sign bit
/// flipped so that the unsigned order is the time order and zero is left for `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct At(NonZeroU64);

const SIGN: u64 = 1 << 63;

impl At {
    fn new(epoch: Instant, at: Instant) -> Self {
        let nanos = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        let offset = match at.checked_duration_since(epoch) {
            Some(after) => nanos(after),
            // Never below -i64::MAX: the biased value is never zero.
            None => -nanos(epoch.duration_since(at)),
        };
        At(NonZeroU64::new(offset as u64 ^ SIGN).unwrap_or(NonZeroU64::MIN))
    }

    fn instant(self, epoch: Instant) -> Instant {
        let offset = (self.0.get() ^ SIGN) as i64;
        let d = Duration::from_nanos(offset.unsigned_abs());
        // Both exist: the deadline given was an `Instant` (up to the ~292 years of i64).
        if offset >= 0 {
            epoch.checked_add(d).unwrap_or(epoch)
        } else {
            epoch.checked_sub(d).unwrap_or(epoch)
        }
    }
}

/// The requests in flight, each under its id until its answer, its deadline or the loss of
/// its socket; requests made while disconnected wait in the queue, oldest first.
///
/// Every request waits the same time and the clock does not go back, so deadlines arrive
/// in their own order: they wait in a queue (no tree to balance per request), and an
/// answered request leaves its deadline behind, dropped once it reaches the front. A
/// deadline earlier than the last one queued (a shorter timeout, a caller's clock that
/// went back) goes to a B-tree instead, so that expiry stays exact.
#[derive(Debug, Default)]
pub(super) struct Requests {
    pending: FastMap<RequestId, Pending>,
    /// What deadlines count from: the first one given.
    epoch: Option<Instant>,
    /// Deadlines in order; the front one is a request still pending, but for an id that
    /// was added again (its old deadline stays behind and is dropped when reached).
    in_order: VecDeque<(At, RequestId)>,
    /// Deadlines that came earlier than the last of `in_order` (none in practice).
    out_of_order: BTreeSet<(At, RequestId)>,
    /// Pending requests with a deadline.
    with_deadline: usize,
    /// The requests waiting for a connection, with their text.
    queue: VecDeque<(RequestId, String)>,
}

impl Requests {
    /// Requests waiting for an answer or a connection.
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Of those, waiting for a connection.
    pub(super) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Deadlines tracked.
    pub(super) fn deadlines(&self) -> usize {
        self.with_deadline
    }

    /// The earliest deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let in_order = self.in_order.front().map(|(at, _)| *at);
        let out_of_order = self.out_of_order.first().map(|(at, _)| *at);
        let at = match (in_order, out_of_order) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Some(at?.instant(self.epoch?))
    }

    /// Whether a request still waits in the queue (it has not gone out on any socket).
    pub(super) fn is_queued(&self, id: &RequestId) -> bool {
        self.pending.get(id).is_some_and(|pending| !pending.sent)
    }

    /// Tracks a request until `deadline`: a sent one's `frame` goes out now, any other
    /// waits in the queue.
    pub(super) fn add(
        &mut self,
        id: RequestId,
        mut pending: Pending,
        deadline: Option<Instant>,
        frame: String,
        out: &mut Output,
    ) {
        if pending.sent {
            out.send(frame);
        } else {
            self.queue.push_back((id.clone(), frame));
        }
        pending.deadline = deadline.map(|at| At::new(*self.epoch.get_or_insert(at), at));
        if let Some(at) = pending.deadline {
            self.with_deadline += 1;
            match self.in_order.back() {
                Some((last, _)) if at < *last => {
                    self.out_of_order.insert((at, id.clone()));
                }
                _ => self.in_order.push_back((at, id.clone())),
            }
        }
        if let Some(replaced) = self.pending.insert(id, pending) {
            // The same id again (never from the engine's own ids): the old one is gone.
            self.with_deadline -= usize::from(replaced.deadline.is_some());
        }
    }

    /// Sends a session request (connect, ping) on the open socket, bypassing the queue.
    pub(super) fn send_now<P: Serialize + ?Sized>(
        &mut self,
        id: RequestId,
        method: &'static str,
        params: &P,
        kind: PendingKind,
        deadline: Option<Instant>,
        out: &mut Output,
    ) -> Result<(), serde_json::Error> {
        let text = frame::request(id.as_str(), method, &frame::Ids::default(), params)?;
        let pending = Pending::new(Method::Static(method), kind, true);
        self.add(id, pending, deadline, text, out);
        Ok(())
    }

    /// Forgets a request, with its deadline and its place in the queue.
    pub(super) fn take(&mut self, id: &RequestId) -> Option<Pending> {
        self.take_str(id.as_str()).map(|(_, pending)| pending)
    }

    /// [`Requests::take`] by the id's text (an answer's), with the id as stored, so that
    /// what the answer makes shares it: one look-up.
    pub(super) fn take_str(&mut self, id: &str) -> Option<(RequestId, Pending)> {
        let (id, pending) = self.pending.remove_entry(id)?;
        if let Some(at) = pending.deadline {
            self.with_deadline -= 1;
            if !self.out_of_order.is_empty() {
                self.out_of_order.remove(&(at, id.clone()));
            }
            // Answers come mostly in order: the front deadline is most often this one.
            if self.in_order.front() == Some(&(at, id.clone())) {
                self.in_order.pop_front();
            }
            self.drop_answered_deadlines();
        }
        if !pending.sent {
            self.queue.retain(|(queued, _)| *queued != id);
            release_emptied_queue(&mut self.queue);
        }
        self.release_unused();
        Some((id, pending))
    }

    /// Gives the table's memory back after a burst: all of it once empty, the most of it
    /// once it holds under a thirty-second of its capacity (sized then for twice what it
    /// holds, so a steady load does not rehash again and again). Late, so that the new
    /// table, made while the old one still exists, is small: the heap's high-water mark
    /// (the burst's) is not raised by a quarter of the old table.
    fn release_unused(&mut self) {
        let capacity = self.pending.capacity();
        if capacity <= RELEASED_CAPACITY {
            return;
        }
        let len = self.pending.len();
        if len == 0 {
            self.pending = FastMap::default();
        } else if len < capacity / 32 {
            self.pending.shrink_to(len * 2);
        }
    }

    /// The capacities of the table of requests in flight and of the queue (for tests of
    /// what a burst leaves).
    #[cfg(test)]
    pub(super) fn capacities(&self) -> (usize, usize) {
        (self.pending.capacity(), self.queue.capacity())
    }

    /// Drops the deadlines at the front of the queue whose request is no longer pending, so
    /// that the front one is a live request's.
    fn drop_answered_deadlines(&mut self) {
        while let Some((at, id)) = self.in_order.front() {
            let live = self
                .pending
                .get(id)
                .is_some_and(|pending| pending.deadline == Some(*at));
            if live {
                break;
            }
            self.in_order.pop_front();
        }
        // A burst of requests gives its memory back once answered.
        release_emptied_queue(&mut self.in_order);
    }

    /// Sends everything that waited for the connection, oldest first.
    pub(super) fn flush(&mut self, out: &mut Output) {
        while let Some((id, frame)) = self.queue.pop_front() {
            if let Some(pending) = self.pending.get_mut(&id) {
                pending.sent = true;
                out.send(frame);
            }
        }
        release_emptied_queue(&mut self.queue);
    }

    /// Takes the requests `which` selects, in id order (what each one's failure says comes
    /// out in that order, independent of the hash order).
    fn take_where(&mut self, which: impl Fn(&Pending) -> bool) -> Vec<(RequestId, Pending)> {
        let mut ids: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|(_, pending)| which(pending))
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort_unstable();
        ids.into_iter()
            .filter_map(|id| self.take(&id).map(|pending| (id, pending)))
            .collect()
    }

    /// Forgets the pings: their socket is gone, nobody waits for them.
    pub(super) fn drop_pings(&mut self) {
        self.take_where(|pending| pending.kind == PendingKind::Ping);
    }

    /// Takes the requests that went out on a socket (which is gone).
    pub(super) fn take_sent(&mut self) -> Vec<(RequestId, Pending)> {
        self.take_where(|pending| pending.sent)
    }

    /// Takes every request.
    pub(super) fn take_all(&mut self) -> Vec<(RequestId, Pending)> {
        self.take_where(|_| true)
    }

    /// Takes the requests whose deadline is at or before `now`, earliest first.
    pub(super) fn take_expired(&mut self, now: Instant) -> Vec<(RequestId, Pending)> {
        let mut expired = Vec::new();
        let Some(epoch) = self.epoch else {
            return expired; // no deadline was ever given
        };
        let now = At::new(epoch, now);
        loop {
            let in_order = self.in_order.front().filter(|(at, _)| *at <= now);
            let out_of_order = self.out_of_order.first().filter(|(at, _)| *at <= now);
            // The earlier of the two fronts; on a tie, the queued one (it came first).
            let (at, id) = match (in_order, out_of_order) {
                (Some(a), Some(b)) if b.0 < a.0 => b.clone(),
                (Some(a), _) => a.clone(),
                (None, Some(b)) => b.clone(),
                (None, None) => break,
            };
            let live = self
                .pending
                .get(&id)
                .is_some_and(|pending| pending.deadline == Some(at));
            if live {
                if let Some(pending) = self.take(&id) {
                    expired.push((id, pending));
                }
                continue;
            }
            // A deadline without its request: nothing waits for it. (A live one, taken,
            // is gone from both already.)
            if !self.out_of_order.remove(&(at, id.clone())) {
                self.in_order.pop_front();
                self.drop_answered_deadlines();
            }
        }
        expired
    }
}

/// An emptied queue of a burst (of requests made while disconnected, of deadlines) gives
/// its buffer back.
fn release_emptied_queue<T>(queue: &mut VecDeque<T>) {
    if queue.is_empty() && queue.capacity() > RELEASED_CAPACITY {
        *queue = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::super::log::Warnings;
    use super::*;
    use crate::event::Transmit;
    use std::time::Duration;

    /// One request of a test's set-up: its id, its method (its text is "frame of METHOD"),
    /// its deadline, and whether it went out on the socket (or waits in the queue).
    type Row<'a> = (&'a str, &'a str, Option<Instant>, bool);

    fn add_all(requests: &mut Requests, out: &mut Output, rows: &[Row<'_>]) {
        for &(id, method, deadline, sent) in rows {
            let pending = Pending::new(Method::text(method), PendingKind::User, sent);
            requests.add(
                id.into(),
                pending,
                deadline,
                format!("frame of {method}"),
                out,
            );
        }
    }

    fn sink() -> Output {
        Output::new(Warnings::new(Duration::from_secs(1)))
    }

    #[test]
    fn expiry_returns_the_timed_out_requests_in_deadline_order_and_frees_them() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut out = sink();
        let mut requests = Requests::default();
        // Ids in the opposite order of their deadlines: the deadline decides.
        add_all(
            &mut requests,
            &mut out,
            &[
                ("a", "late", Some(t0 + 3 * second), true),
                ("b", "queued", Some(t0 + 2 * second), false),
                ("c", "early", Some(t0 + second), true),
                ("d", "ping", None, true),
            ],
        );
        assert_eq!(
            (requests.len(), requests.queued(), requests.deadlines()),
            (4, 1, 3)
        );
        assert!(requests.take_expired(t0).is_empty());

        let expired = requests.take_expired(t0 + 2 * second);
        let ids: Vec<&str> = expired.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["c", "b"]);
        assert_eq!(expired[1].1.method.as_str(), "queued");
        // Freed: gone from the table, the deadlines and the queue.
        assert_eq!(
            (requests.len(), requests.queued(), requests.deadlines()),
            (2, 0, 1)
        );
        assert_eq!(requests.next_deadline(), Some(t0 + 3 * second));
        assert!(requests.take_str("b").is_none());
        let frames: Vec<Transmit> = out.transmits.drain(..).collect();
        requests.flush(&mut out);
        assert!(
            out.transmits.is_empty(),
            "the expired queued request is not sent"
        );
        assert_eq!(
            frames.len(),
            3,
            "the sent ones went out at once: {frames:?}"
        );
    }

    #[test]
    fn the_queue_goes_out_oldest_first_and_a_lost_socket_takes_only_what_was_sent() {
        let t0 = Instant::now();
        let mut out = sink();
        let mut requests = Requests::default();
        add_all(
            &mut requests,
            &mut out,
            &[
                ("z", "first", Some(t0), false),
                ("a", "second", Some(t0), false),
                ("m", "on the socket", Some(t0), true),
            ],
        );
        out.transmits.clear();
        assert!(requests.is_queued(&"z".into()));
        let lost: Vec<String> = requests
            .take_sent()
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        assert_eq!(lost, ["m"]);
        requests.flush(&mut out);
        let sent: Vec<Transmit> = out.transmits.drain(..).collect();
        assert_eq!(
            sent,
            [
                Transmit::Send("frame of first".into()),
                Transmit::Send("frame of second".into())
            ]
        );
        assert!(!requests.is_queued(&"z".into()));
        assert_eq!(requests.take_all().len(), 2);
        assert_eq!((requests.len(), requests.deadlines()), (0, 0));
    }

    #[test]
    fn an_earlier_deadline_given_late_still_expires_first_and_ties_keep_their_order() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut out = sink();
        let mut requests = Requests::default();
        add_all(
            &mut requests,
            &mut out,
            &[
                ("a", "3s", Some(t0 + 3 * second), true),
                ("z", "3s too", Some(t0 + 3 * second), true),
                // A shorter timeout, or a caller whose clock went back: earlier than the
                // last one.
                ("m", "1s", Some(t0 + second), true),
                ("b", "2s", Some(t0 + 2 * second), true),
            ],
        );
        assert_eq!(requests.next_deadline(), Some(t0 + second));
        assert_eq!(requests.deadlines(), 4);
        let ids = |expired: Vec<(RequestId, Pending)>| -> Vec<String> {
            expired.into_iter().map(|(id, _)| id.to_string()).collect()
        };
        assert_eq!(ids(requests.take_expired(t0 + second)), ["m"]);
        assert_eq!(requests.next_deadline(), Some(t0 + 2 * second));
        assert_eq!(ids(requests.take_expired(t0 + 5 * second)), ["b", "a", "z"]);
        assert_eq!((requests.len(), requests.deadlines()), (0, 0));
        assert_eq!(requests.next_deadline(), None);
    }

    #[test]
    fn an_answered_request_leaves_no_deadline_behind() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut out = sink();
        let mut requests = Requests::default();
        add_all(
            &mut requests,
            &mut out,
            &[
                ("a", "a", Some(t0 + second), true),
                ("b", "b", Some(t0 + 2 * second), true),
                ("c", "c", Some(t0 + 3 * second), true),
            ],
        );
        // Answered out of order: the middle one, then the first.
        assert!(requests.take(&"b".into()).is_some());
        assert_eq!(requests.next_deadline(), Some(t0 + second));
        assert!(requests.take(&"a".into()).is_some());
        // Not the answered ones' deadlines: the poll would wake for nothing.
        assert_eq!(requests.next_deadline(), Some(t0 + 3 * second));
        assert_eq!(requests.deadlines(), 1);
        assert!(requests.take_expired(t0 + 2 * second).is_empty());
        let expired = requests.take_expired(t0 + 3 * second);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].0.as_str(), "c");
        assert_eq!(requests.next_deadline(), None);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_request_in_flight_takes_at_most_80_bytes_and_its_deadline_24() {
        // One per request in flight, 10,000 in a burst of calls, in a table ~1.6x their
        // number: the text lives in the queue, the method is not copied and the deadline
        // takes 8 bytes (it was 112).
        let pending = std::mem::size_of::<Pending>();
        assert!(pending <= 80, "{pending}");
        // The deadline's entry in the queue of deadlines (it was 32).
        let deadline = std::mem::size_of::<(At, RequestId)>();
        assert!(deadline <= 24, "{deadline}");
    }

    #[test]
    fn a_compact_deadline_keeps_the_instant_and_the_order() {
        let epoch = Instant::now();
        let second = Duration::from_secs(1);
        let times = [
            epoch,
            epoch + second,
            epoch + Duration::from_nanos(1),
            epoch.checked_sub(second).unwrap_or(epoch),
            epoch + 100 * 365 * 24 * 3600 * second,
        ];
        for a in times {
            assert_eq!(At::new(epoch, a).instant(epoch), a);
            for b in times {
                assert_eq!(At::new(epoch, a).cmp(&At::new(epoch, b)), a.cmp(&b));
            }
        }
    }

    #[test]
    fn a_burst_of_requests_gives_its_memory_back_once_answered() {
        let t0 = Instant::now();
        let mut out = sink();
        let mut requests = Requests::default();
        let id = |i: usize| RequestId::from(format!("r{i}").as_str());
        let ids: Vec<String> = (0..15_000).map(|i| format!("r{i}")).collect();
        let rows: Vec<Row<'_>> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let sent = i < 10_000;
                let method = if sent { "sent" } else { "queued" };
                (id.as_str(), method, Some(t0), sent)
            })
            .collect();
        add_all(&mut requests, &mut out, &rows);
        requests.flush(&mut out);
        assert_eq!(out.transmits.len(), 15_000);
        let (table, queue) = requests.capacities();
        assert!(table >= 15_000, "{table}");
        assert!(
            queue <= RELEASED_CAPACITY,
            "the flushed queue keeps {queue}"
        );
        // All answered but one (a ping, a slow answer): the table shrinks with them.
        for i in 1..15_000 {
            assert!(requests.take(&id(i)).is_some());
        }
        let (table, _) = requests.capacities();
        assert!(
            table <= RELEASED_CAPACITY,
            "one request keeps a table of {table}"
        );
        assert!(requests.take(&id(0)).is_some());
        assert_eq!(requests.len(), 0);
    }
}
