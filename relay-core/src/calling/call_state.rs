//! The words the server uses for a call: its state, why it ended and which way it goes.

use super::wire_enum::wire_enum;

wire_enum!(
    /// The state of a call as the server reports it in `calling.call.state`.
    CallState {
        /// The call exists but is not ringing yet.
        Created = "created",
        /// The far end is ringing.
        Ringing = "ringing",
        /// The call is up.
        Answered = "answered",
        /// The call is being torn down.
        Ending = "ending",
        /// The call is over; its state is freed.
        Ended = "ended",
    }
);

impl CallState {
    /// Whether no further state can follow.
    pub fn is_ended(&self) -> bool {
        matches!(self, CallState::Ended)
    }
}

wire_enum!(
    /// Why a call ended (`end_reason`), or the reason given to `calling.end`.
    EndReason {
        /// A party hung up.
        Hangup = "hangup",
        /// The caller cancelled before answer.
        Cancel = "cancel",
        /// The far end was busy.
        Busy = "busy",
        /// Nobody answered.
        NoAnswer = "noAnswer",
        /// The far end declined.
        Decline = "decline",
        /// The call failed.
        Error = "error",
        /// The call was abandoned.
        Abandoned = "abandoned",
        /// The call reached its maximum duration.
        MaxDuration = "max_duration",
        /// The destination does not exist.
        NotFound = "not_found",
    }
);

wire_enum!(
    /// Which way a call goes.
    Direction {
        /// Arrived at one of our contexts.
        Inbound = "inbound",
        /// Dialled by us.
        Outbound = "outbound",
    }
);
