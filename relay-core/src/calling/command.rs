//! Call control ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) of `docs/CALLING-API.md`): the trait every command that is not an action
//! is sent through. Each command puts exactly the spec's params on the wire (only the options
//! that are set) and is refused locally when invalid.

use crate::error::CommandError;
use serde::Serialize;

/// A call command of [§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): one request, a `{code, message}` result, no action object. Its
/// `Serialize` form is the params without `node_id` and `call_id` (the engine adds them and
/// writes it straight into the request frame after [`check`]).
///
/// [`check`]: CallCommand::check
pub trait CallCommand: Serialize {
    /// The RELAY method (`calling.transfer`, …).
    fn method(&self) -> &'static str;

    /// Refuses options the service would refuse; nothing is sent then.
    fn check(&self) -> Result<(), CommandError> {
        Ok(())
    }
}

/// `Err(InvalidOption)` with `what`.
pub(crate) fn invalid<T>(what: impl Into<String>) -> Result<T, CommandError> {
    Err(CommandError::InvalidOption(what.into()))
}
