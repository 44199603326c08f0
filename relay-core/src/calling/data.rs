//! Reading a small borrowed record (a view) of an event's data from its JSON text, for the
//! engine's routing and the families' terminal rules alike.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Reads a view of an event's data; absent data (or `null`) reads as an empty view. The
/// error is the reason the event cannot be used (its data is not an object, an id is not a
/// string, a member is repeated).
pub(crate) fn read<'a, T: Deserialize<'a> + Default>(
    data: Option<&'a RawValue>,
) -> Result<T, String> {
    read_text(data.map(RawValue::get))
}

/// [`read`] from the data's JSON text (already validated).
pub(crate) fn read_text<'a, T: Deserialize<'a> + Default>(
    data: Option<&'a str>,
) -> Result<T, String> {
    match data {
        None | Some("null") => Ok(T::default()),
        Some(text) => serde_json::from_str(text).map_err(|e| e.to_string()),
    }
}
