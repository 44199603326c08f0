//! The former home of the call actions, kept as paths into [`crate::calling`] while code moves.

pub use crate::calling::action::*;
pub use crate::calling::params::MediaDirection;

/// See [`crate::calling::ai`].
pub mod ai {
    pub use crate::calling::ai::*;
}
/// See [`crate::calling::collect`].
pub mod collect {
    pub use crate::calling::collect::*;
}
/// See [`crate::calling::descriptor`].
pub mod descriptor {
    pub use crate::calling::descriptor::*;
}
/// See [`crate::calling::detect`].
pub mod detect {
    pub use crate::calling::detect::*;
}
/// See [`crate::calling::fax`].
pub mod fax {
    pub use crate::calling::fax::*;
}
/// See [`crate::calling::pay`].
pub mod pay {
    pub use crate::calling::pay::*;
}
/// See [`crate::calling::play`].
pub mod play {
    pub use crate::calling::play::*;
}
/// See [`crate::calling::record`].
pub mod record {
    pub use crate::calling::record::*;
}
/// See [`crate::calling::result`].
pub mod result {
    pub use crate::calling::result::*;
}
/// See [`crate::calling::transcribe`], [`crate::calling::send_digits`], [`crate::calling::echo`].
pub mod simple {
    pub use crate::calling::echo::*;
    pub use crate::calling::send_digits::*;
    pub use crate::calling::transcribe::*;
}
/// See [`crate::calling::stream`].
pub mod stream_options {
    pub use crate::calling::stream::*;
}
/// See [`crate::calling::tap`].
pub mod tap {
    pub use crate::calling::tap::*;
}
