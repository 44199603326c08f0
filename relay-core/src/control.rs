//! The former home of call control ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), kept as paths into [`crate::calling`] while code
//! moves.

pub use crate::calling::command::*;
pub use crate::calling::conference::*;
pub use crate::calling::control::*;
#[cfg(feature = "sim")]
pub(crate) use crate::calling::digits::is_dtmf;
pub use crate::calling::digits::{BindDigit, ClearDigitBindings};
pub use crate::calling::live::*;
pub use crate::calling::queue::*;
pub use crate::calling::transfer::*;
