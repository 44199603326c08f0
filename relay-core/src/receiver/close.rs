//! The close frame a stream is refused with, one spelling for the one-way receiver and the
//! two-way session (a file of its own so that neither imports the other for it).

use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::CloseFrame;

/// A close frame's reason holds at most 123 bytes; a few are kept spare.
const MAX_CLOSE_REASON: usize = 120;

/// Policy violation (`1008`), the reason cut to what a close frame holds, on a character
/// boundary.
pub(super) fn policy_close(reason: &str) -> CloseFrame {
    let mut cut = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    CloseFrame {
        code: CloseCode::Policy,
        reason: reason[..cut].into(),
    }
}
