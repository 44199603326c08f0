//! What the fake service asks of its driver: frames to send, sockets to close, media streams
//! to open or stop, and status webhooks to call.

use crate::action::stream_options::HttpMethod;
use crate::ids::{CallId, ControlId};
use serde_json::{Map, Value};
use std::fmt;

use super::ConnId;

/// An instruction for the driver of a [`FakeRelay`](super::FakeRelay).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SimOutput {
    /// Send this text frame on the socket.
    Send {
        /// The socket.
        conn: ConnId,
        /// The frame.
        text: String,
    },
    /// Close the socket; the service already counts it as gone.
    Close {
        /// The socket.
        conn: ConnId,
    },
    /// Open a WebSocket to the stream's url and send the call's audio; report with
    /// `media_started`, then `media_finished` or `media_failed`.
    StartMedia(MediaJob),
    /// Stop sending the stream's audio and close its socket; the service already counts the
    /// stream as finished.
    StopMedia {
        /// The call.
        call_id: CallId,
        /// The stream.
        control_id: ControlId,
    },
    /// Call the stream's status webhook with this body.
    StatusCallback {
        /// The `status_url`.
        url: String,
        /// `GET` or `POST`.
        method: HttpMethod,
        /// `{event_type, event_channel, timestamp, project_id, space_id, params}`.
        body: Value,
    },
}

/// One `calling.stream` for the driver to carry out: everything the request asked for.
#[derive(Clone, PartialEq)]
pub struct MediaJob {
    /// The call whose audio is streamed.
    pub call_id: CallId,
    /// The stream's control id.
    pub control_id: ControlId,
    /// The `ws://` or `wss://` url to connect to.
    pub url: String,
    /// The stream's `name`.
    pub name: Option<String>,
    /// The `codec` as on the wire; the call's own (PCMU) when unset.
    pub codec: Option<String>,
    /// The `track` as on the wire (either form); `"inbound_track"` when unset.
    pub track: String,
    /// Sent as `Authorization: Bearer <token>` on the handshake.
    pub bearer_token: Option<String>,
    /// Delivered in the `start` message.
    pub custom_parameters: Map<String, Value>,
    /// The status webhook.
    pub status_url: Option<String>,
    /// Its method (POST unless the request said GET).
    pub status_url_method: HttpMethod,
    /// A connect to a `stream` device: the driver speaks the two-way protocol as the caller
    /// (`sim/two_way.rs`) instead of sending the call's audio one way.
    pub two_way: bool,
}

impl fmt::Debug for MediaJob {
    // The bearer token is a secret: only its presence is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaJob")
            .field("call_id", &self.call_id)
            .field("control_id", &self.control_id)
            .field("url", &self.url)
            .field("name", &self.name)
            .field("codec", &self.codec)
            .field("track", &self.track)
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "<redacted>"),
            )
            .field("custom_parameters", &self.custom_parameters)
            .field("status_url", &self.status_url)
            .field("status_url_method", &self.status_url_method)
            .field("two_way", &self.two_way)
            .finish()
    }
}
