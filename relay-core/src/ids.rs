//! Typed identifiers (call, node, control, request) and the seeded id generator.
//!
//! Ids are generated from a seed so that tests produce byte-identical frames run to run.

use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Shared, not copied: a clone only counts a reference, so the many places that
        /// name one call or action (the engine's tables, the client's handles, events)
        /// hold one string between them.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(std::sync::Arc<str>);

        impl $name {
            /// Wraps a string received from the wire or chosen by the user.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into().into())
            }
            /// The id as it appears on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <String as serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        // Hashes and orders as its string, so maps keyed by an id can be searched with a
        // `&str` from the wire without allocating an id first.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.into())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value.into())
            }
        }
    };
}
pub(crate) use string_id;

string_id!(
    /// The server's id of one call (`call_id`).
    CallId
);
string_id!(
    /// The id of the media node that hosts a call (`node_id`).
    NodeId
);
string_id!(
    /// The client-chosen id of one action on a call (`control_id`): a stream, a play, …
    ControlId
);
string_id!(
    /// The JSON-RPC `id` of one client request.
    RequestId
);
string_id!(
    /// The client-chosen `tag` that correlates an outbound dial with its call.
    DialTag
);

/// A small deterministic generator of uuid-v4-shaped strings (splitmix64).
///
/// Not cryptographic: ids only need to be unique within a session, and a fixed seed makes
/// test runs reproducible.
#[derive(Clone)]
pub struct IdGenerator {
    state: u64,
}

impl fmt::Debug for IdGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdGenerator")
    }
}

impl IdGenerator {
    /// A generator that yields the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniformly distributed float in `[0, 1)`, for jitter.
    pub fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The next id in the canonical 8-4-4-4-12 uuid form with version 4 bits set.
    pub fn next_uuid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        // The 32 hex digits of `hi` then `lo`, dashed as 8-4-4-4-12; written by hand, as
        // `format!` costs a few thousand instructions and every request takes an id.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bits = (u128::from(hi) << 64) | u128::from(lo);
        let mut text = String::with_capacity(36);
        for digit in 0..32u32 {
            if matches!(digit, 8 | 12 | 16 | 20) {
                text.push('-');
            }
            let nibble = (bits >> (124 - 4 * digit)) & 0xF;
            text.push(char::from(HEX[nibble as usize]));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_deterministic_and_well_formed() {
        let mut a = IdGenerator::new(7);
        let mut b = IdGenerator::new(7);
        let first = a.next_uuid();
        assert_eq!(first, b.next_uuid());
        assert_ne!(first, a.next_uuid());
        assert_eq!(first.len(), 36);
        assert_eq!(&first[14..15], "4");
        assert!(matches!(&first[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn uuids_are_the_hex_of_their_bits() {
        for seed in [0, 7, u64::MAX] {
            let mut gen = IdGenerator::new(seed);
            let mut bits = IdGenerator::new(seed);
            for _ in 0..100 {
                let (hi, lo) = (bits.next_u64(), bits.next_u64());
                let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
                let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
                let expected = format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    hi >> 32,
                    (hi >> 16) & 0xFFFF,
                    hi & 0xFFFF,
                    lo >> 48,
                    lo & 0xFFFF_FFFF_FFFF
                );
                assert_eq!(gen.next_uuid(), expected);
            }
        }
    }

    #[test]
    fn debug_names_the_kind() {
        assert_eq!(format!("{:?}", CallId::new("c1")), "CallId(\"c1\")");
    }
}
