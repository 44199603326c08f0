//! Tolerant field readers for `#[serde(deserialize_with = …)]` on what the server sends
//! back to us (devices in events): a member of the wrong JSON type reads as unset instead of
//! failing the whole event, as the hand-written readers always did.

use super::params::{lenient_bool, lenient_number, lenient_text};
use serde::de::value::MapDeserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::marker::PhantomData;
use std::time::Duration;

/// A string; anything else reads as empty.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_text(d)?.map(Cow::into_owned).unwrap_or_default())
}

/// An optional string; anything else reads as `None`.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(lenient_text(d)?.map(Cow::into_owned))
}

/// A boolean; anything else reads as `None`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    lenient_bool(d)
}

/// Seconds (integer or float); a negative, non-finite or absurd number reads as `None`.
pub(crate) fn opt_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let longest = crate::config::LONGEST_DURATION.as_secs_f64();
    Ok(lenient_number(d)?
        .filter(|secs| secs.is_finite() && (0.0..=longest).contains(secs))
        .map(Duration::from_secs_f64))
}

/// A JSON object kept as it came; anything else reads as `None`.
pub(crate) fn opt_object<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Map<String, Value>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => Some(map),
        _ => None,
    })
}

/// One string of a list, or `None` for an item of another type.
struct Item<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_text(d).map(Item)
    }
}

/// A list of strings read through `read`; items that are not strings are skipped, and
/// anything but a list reads as empty.
pub(crate) fn strings<'de, D, T>(d: D, read: fn(&str) -> T) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(list::<D, Item<'de>>(d)?
        .into_iter()
        .filter_map(|item| item.0.map(|text| read(&text)))
        .collect())
}

/// A list of `T`; anything but a list reads as empty. Each item must read (`T` is lenient
/// itself, such as [`ObjectOr`]).
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct List<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for List<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(items)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Vec::new())
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(List(PhantomData))
}

/// A `T` read from a JSON object, or `None` for any other JSON value: `T`'s fields read
/// leniently, so a wrong shape anywhere never fails what holds it.
pub(crate) struct ObjectOr<T>(pub(crate) Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ObjectSeed(PhantomData).deserialize(d).map(ObjectOr)
    }
}

/// Reads a `T` from an object, `None` from anything else.
pub(crate) struct ObjectSeed<T>(pub(crate) PhantomData<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for ObjectSeed<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectSeed<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
}

/// A `T` read from an object, or from no members at all when the value is not an object
/// (every field of `T` has a default): a device whose `params` are missing or malformed is
/// still that device, with nothing set.
pub(crate) fn object_or_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match ObjectSeed::<T>(PhantomData).deserialize(d)? {
        Some(value) => Ok(value),
        None => empty(),
    }
}

/// `T` read from an empty object.
pub(crate) fn empty<'de, T: Deserialize<'de>, E: de::Error>() -> Result<T, E> {
    T::deserialize(MapDeserializer::<std::iter::Empty<(&str, &str)>, E>::new(
        std::iter::empty(),
    ))
}

/// A string, borrowed when it has no escapes; anything else reads as `None`.
pub(crate) fn opt_cow<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    lenient_text(d)
}

/// The `{type, params}` object in which detect and fax nest their outcome, read leniently:
/// a `type` that is not a string, or `params` that are not an object, read as absent.
#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'a, P: Deserialize<'de>"))]
pub(crate) struct Nested<'a, P> {
    #[serde(borrow, default, rename = "type", deserialize_with = "lenient_text")]
    pub(crate) kind: Option<Cow<'a, str>>,
    #[serde(default)]
    params: Option<ObjectOr<P>>,
}

impl<P> Nested<'_, P> {
    /// Its `params`, when they are an object.
    pub(crate) fn params(&self) -> Option<&P> {
        self.params.as_ref()?.0.as_ref()
    }
}
