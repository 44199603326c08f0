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
            /// Wraps a string received from the wire or chosen by the user, in one
            /// allocation (the shared string), whatever kind of string it is given.
            pub fn new(value: impl AsRef<str>) -> Self {
                Self(value.as_ref().into())
            }
            /// The id as it appears on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// How many ids share this one's string (tests show with it who holds one).
            #[cfg(test)]
            #[allow(dead_code)]
            pub(crate) fn holders(&self) -> usize {
                std::sync::Arc::strong_count(&self.0)
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
impl RequestId {
    /// The request id that starts the action `control_id` (one this client generated, so
    /// unique among its request ids): its text, sharing its string, so that an action
    /// costs one id string, not two.
    pub(crate) fn of_action(control_id: &ControlId) -> Self {
        Self(control_id.0.clone())
    }
}

string_id!(
    /// The client-chosen `tag` that correlates an outbound dial with its call.
    DialTag
);

/// A small deterministic generator of uuid-v4-shaped ids (splitmix64 for the random bits).
///
/// Not cryptographic: ids only need to be unique. The random bits of an id are drawn once
/// per generator and a counter is added to them, so an id costs a few dozen instructions
/// instead of two draws and a formatting. [`IdGenerator::new`] gives the same ids for the
/// same seed (the simulator's reproducible runs); [`IdGenerator::unique_in_process`], the
/// engine's, mixes the generator's number in the process into the bits, so that two
/// engines given one seed (a fixed one in a config, or the default) never share an id.
#[derive(Clone)]
pub struct IdGenerator {
    state: u64,
    /// The text of the first 64 bits (`xxxxxxxx-xxxx-4xxx-`), drawn at the first id.
    prefix: Option<[u8; 19]>,
    /// Mixed into the first 64 bits: 0, or the generator's number in the process.
    number: u64,
    /// The last 64 bits before their variant bits: a random start plus the ids so far.
    low: u64,
}

impl fmt::Debug for IdGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdGenerator")
    }
}

/// Generators made so far in this process: their ids differ in the bits this numbers.
static GENERATORS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `bits` as hex digits into `out`, most significant first.
fn hex_into(out: &mut [u8], bits: u64) {
    let len = out.len();
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = HEX[((bits >> (4 * (len - 1 - i))) & 0xF) as usize];
    }
}

impl IdGenerator {
    /// A generator that yields the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed,
            prefix: None,
            number: 0,
            low: 0,
        }
    }

    /// A generator whose ids no other generator made this way in the process yields, even
    /// one of the same seed (its jitter stays the seed's own).
    pub fn unique_in_process(seed: u64) -> Self {
        // Numbered from 1, so that none shares the bits of a reproducible generator.
        let number = GENERATORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Self {
            number,
            ..Self::new(seed)
        }
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
        self.next_id_text().to_owned()
    }

    /// The next id as a typed id, in one allocation (the text is built on the stack).
    pub(crate) fn next_id<T: for<'a> From<&'a str>>(&mut self) -> T {
        T::from(self.next_id_text().as_str())
    }

    fn next_id_text(&mut self) -> IdText {
        let prefix = match self.prefix {
            Some(prefix) => prefix,
            None => self.draw_prefix(),
        };
        // 62 bits count: the counter wraps only after 2^62 ids of one generator.
        self.low = self.low.wrapping_add(1) & 0x3FFF_FFFF_FFFF_FFFF;
        let lo = self.low | 0x8000_0000_0000_0000;
        let mut text = [0u8; 36];
        text[..19].copy_from_slice(&prefix);
        hex_into(&mut text[19..23], lo >> 48);
        text[23] = b'-';
        hex_into(&mut text[24..], lo & 0xFFFF_FFFF_FFFF);
        IdText(text)
    }

    /// Draws the id's random bits: the first 64 (with the generator's number mixed into
    /// 48 of them, none of which the version bits mask, so that generators of one seed
    /// differ) and the counter's start.
    #[cold]
    fn draw_prefix(&mut self) -> [u8; 19] {
        let hi = self.next_u64() ^ (self.number << 16);
        let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        self.low = self.next_u64() & 0x3FFF_FFFF_FFFF_FFFF;
        let mut prefix = [0u8; 19];
        hex_into(&mut prefix[..8], hi >> 32);
        prefix[8] = b'-';
        hex_into(&mut prefix[9..13], (hi >> 16) & 0xFFFF);
        prefix[13] = b'-';
        hex_into(&mut prefix[14..18], hi & 0xFFFF);
        prefix[18] = b'-';
        self.prefix = Some(prefix);
        prefix
    }
}

/// One id's text, on the stack.
struct IdText([u8; 36]);

impl IdText {
    fn as_str(&self) -> &str {
        // Only hex digits and dashes are ever written: ASCII, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    fn to_owned(&self) -> String {
        self.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_uuid_v4(id: &str) {
        assert_eq!(id.len(), 36, "{id}");
        for (i, c) in id.char_indices() {
            match i {
                8 | 13 | 18 | 23 => assert_eq!(c, '-', "{id}"),
                14 => assert_eq!(c, '4', "{id}"),
                19 => assert!(matches!(c, '8' | '9' | 'a' | 'b'), "{id}"),
                _ => assert!(matches!(c, '0'..='9' | 'a'..='f'), "{id}"),
            }
        }
    }

    #[test]
    fn uuids_are_well_formed_and_unique_within_a_generator() {
        for seed in [0, 7, u64::MAX] {
            let mut gen = IdGenerator::new(seed);
            let mut seen = std::collections::HashSet::new();
            for _ in 0..10_000 {
                let id = gen.next_uuid();
                assert_uuid_v4(&id);
                assert!(seen.insert(id), "an id repeated");
            }
        }
    }

    #[test]
    fn uuids_carry_the_counter_in_their_last_digits_across_a_carry() {
        let mut gen = IdGenerator::new(7);
        let first = gen.next_uuid();
        // Move the counter to just before a carry through every low digit.
        gen.low = 0x0FFF_FFFF_FFFF_FFFE;
        let before = gen.next_uuid();
        let after = gen.next_uuid();
        assert_eq!(&before[..19], &first[..19], "the first 64 bits stay");
        assert_eq!(&before[19..], "8fff-ffffffffffff");
        assert_eq!(&after[19..], "9000-000000000000");
        assert_uuid_v4(&after);
        let typed: RequestId = gen.next_id();
        assert_eq!(&typed.as_str()[19..], "9000-000000000001");
    }

    #[test]
    fn generators_of_one_seed_never_share_an_id() {
        // Two engines in one process made with one seed (a fixed seed in a config, or
        // the default one) must not reuse each other's request or control ids.
        let mut a = IdGenerator::unique_in_process(7);
        let mut b = IdGenerator::unique_in_process(7);
        let mut c = IdGenerator::new(7);
        assert_ne!(a.next_uuid(), c.next_uuid());
        let ids_a: std::collections::HashSet<String> = (0..1000).map(|_| a.next_uuid()).collect();
        let ids_b: Vec<String> = (0..1000).map(|_| b.next_uuid()).collect();
        assert!(ids_b.iter().all(|id| !ids_a.contains(id)));
        // The jitter stream stays the seed's own.
        assert_eq!(a.next_u64(), b.next_u64());
        // A reproducible generator is what its seed says, run to run.
        assert_eq!(
            IdGenerator::new(7).next_uuid(),
            IdGenerator::new(7).next_uuid()
        );
    }

    #[test]
    fn debug_names_the_kind() {
        assert_eq!(format!("{:?}", CallId::new("c1")), "CallId(\"c1\")");
    }
}
