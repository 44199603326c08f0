//! `calling.queue.enter` / `calling.queue.leave` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), [§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 8): commands that carry a
//! `control_id` and whose progress comes as `calling.call.queue` events with a `status`
//! (no terminal status is documented, so they are not actions).

use super::params::{check_status_url, lenient_code, lenient_count};
use super::{invalid, CallCommand};
use crate::error::CommandError;
use crate::ids::ControlId;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};

/// `calling.queue.enter`: puts the call in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QueueEnter {
    /// The queue, required.
    pub queue_name: String,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    /// What the caller hears while waiting (TS-Gen `wait_url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_url: Option<String>,
    /// The control id its events carry; generated when unset.
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

impl QueueEnter {
    /// Enters `queue_name`.
    pub fn new(queue_name: impl Into<String>) -> Self {
        Self {
            queue_name: queue_name.into(),
            status_url: None,
            wait_url: None,
            control_id: None,
        }
    }

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
    }

    /// What the caller hears while waiting.
    pub fn wait_url(mut self, url: impl Into<String>) -> Self {
        self.wait_url = Some(url.into());
        self
    }

    /// A control id of your own.
    pub fn control_id(mut self, id: impl Into<ControlId>) -> Self {
        self.control_id = Some(id.into());
        self
    }
}

impl CallCommand for QueueEnter {
    fn method(&self) -> &'static str {
        "calling.queue.enter"
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.queue_name.trim().is_empty() {
            return invalid("queue name is empty");
        }
        check_status_url(&self.status_url)?;
        check_status_url(&self.wait_url)?;
        Ok(())
    }
}

/// `calling.queue.leave`: takes the call out of a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct QueueLeave {
    /// The queue, required.
    pub queue_name: String,
    /// The queue's id (from a `calling.call.queue` event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    /// The control id; generated when unset (the SDKs reuse the enter's).
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

impl QueueLeave {
    /// Leaves `queue_name`.
    pub fn new(queue_name: impl Into<String>) -> Self {
        Self {
            queue_name: queue_name.into(),
            queue_id: None,
            status_url: None,
            control_id: None,
        }
    }

    /// The queue's id.
    pub fn queue_id(mut self, id: impl Into<String>) -> Self {
        self.queue_id = Some(id.into());
        self
    }

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
    }

    /// A control id of your own (e.g. the enter's).
    pub fn control_id(mut self, id: impl Into<ControlId>) -> Self {
        self.control_id = Some(id.into());
        self
    }
}

impl CallCommand for QueueLeave {
    fn method(&self) -> &'static str {
        "calling.queue.leave"
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.queue_name.trim().is_empty() {
            return invalid("queue name is empty");
        }
        if self
            .queue_id
            .as_deref()
            .is_some_and(|id| id.trim().is_empty())
        {
            return invalid("queue id is empty");
        }
        check_status_url(&self.status_url)?;
        Ok(())
    }
}

/// `calling.call.queue`: where the call stands in a queue.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueueEvent {
    /// The control id of the enter (or leave) it belongs to.
    pub control_id: Option<ControlId>,
    /// `status` (not `state`; values undocumented).
    pub status: Option<String>,
    /// `id`: the queue's id.
    pub queue_id: Option<String>,
    /// `name`: the queue's name.
    pub queue_name: Option<String>,
    /// `position`: the call's place in the queue (1 is next).
    pub position: Option<u64>,
    /// `size`: calls in the queue.
    pub size: Option<u64>,
    /// The event's params.
    pub params: Payload,
}

/// The members of a `calling.call.queue` event, read from its text; each absent when of
/// another type (ids and names may come as numbers, counts as strings).
#[derive(Default, Deserialize)]
struct QueueView {
    #[serde(default, deserialize_with = "lenient_code")]
    control_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_code")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient_code")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_code")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_count")]
    position: Option<u64>,
    #[serde(default, deserialize_with = "lenient_count")]
    size: Option<u64>,
}

impl QueueEvent {
    /// Reads one event; never fails.
    pub fn from_wire(params: Payload) -> Self {
        let view: QueueView = params.parse().unwrap_or_default();
        Self {
            control_id: view.control_id.map(ControlId::new),
            status: view.status,
            queue_id: view.id,
            queue_name: view.name,
            position: view.position,
            size: view.size,
            params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_event_reads_ids_as_text_and_counts_from_strings() {
        let event = QueueEvent::from_wire(
            Payload::from_json(
                r#"{"control_id":"q1","status":"enqueued","id":42,"name":"sales",
                    "position":" 3","size":7,"extra":{"a":[1]}}"#,
            )
            .expect("json"),
        );
        assert_eq!(event.control_id, Some(ControlId::new("q1")));
        assert_eq!(event.status.as_deref(), Some("enqueued"));
        assert_eq!(event.queue_id.as_deref(), Some("42"));
        assert_eq!(event.queue_name.as_deref(), Some("sales"));
        assert_eq!((event.position, event.size), (Some(3), Some(7)));
        let odd = QueueEvent::from_wire(
            Payload::from_json(r#"{"status":[1],"position":-2,"size":"x"}"#).expect("json"),
        );
        assert_eq!((odd.status, odd.position, odd.size), (None, None, None));
        assert_eq!(QueueEvent::from_wire(Payload::null()).control_id, None);
    }
}
