//! Sans-IO engine for SignalWire's RELAY protocol.
//!
//! No IO, no async and no clock: time is a parameter and every input and output is a value.
#![warn(missing_docs)]

pub mod media;
pub mod sim;
