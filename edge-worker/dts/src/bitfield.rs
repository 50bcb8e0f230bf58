//! Which chunk groups of a blob are present and verified: one bit per 16 KiB group, persisted next to the data
//! so an interrupted download resumes without fetching a verified group again.

use serde::{Deserialize, Serialize};

/// A fixed-length set of group indices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bitfield {
    len: u64,
    bits: Vec<u8>,
}

impl Bitfield {
    /// `len` groups, none present.
    pub fn new(len: u64) -> Self {
        Self {
            len,
            bits: vec![0; len.div_ceil(8) as usize],
        }
    }

    /// `len` groups, all present.
    pub fn full(len: u64) -> Self {
        let mut field = Self::new(len);
        for i in 0..len {
            field.set(i);
        }
        field
    }

    /// From its wire form; `None` if the bytes do not fit `len`.
    pub fn from_bytes(len: u64, bits: Vec<u8>) -> Option<Self> {
        if bits.len() as u64 != len.div_ceil(8) {
            return None;
        }
        let field = Self { len, bits };
        // Bits past `len` must be clear, so two equal sets have equal bytes.
        (len..field.bits.len() as u64 * 8)
            .all(|i| field.bits[(i / 8) as usize] & (1 << (i % 8)) == 0)
            .then_some(field)
    }

    /// The wire form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bits
    }

    /// Number of groups.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the blob has no groups (is empty).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether group `i` is present.
    pub fn get(&self, i: u64) -> bool {
        i < self.len && self.bits[(i / 8) as usize] & (1 << (i % 8)) != 0
    }

    /// Marks group `i` present; out of range is ignored.
    pub fn set(&mut self, i: u64) {
        if i < self.len {
            self.bits[(i / 8) as usize] |= 1 << (i % 8);
        }
    }

    /// How many groups are present.
    pub fn count(&self) -> u64 {
        self.bits.iter().map(|b| b.count_ones() as u64).sum()
    }

    /// Whether every group is present.
    pub fn is_complete(&self) -> bool {
        self.count() == self.len
    }

    /// The present groups, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len).filter(|i| self.get(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn set_bits_round_trip_through_bytes(len in 0u64..300, picks in proptest::collection::vec(0u64..300, 0..50)) {
            let mut field = Bitfield::new(len);
            for i in &picks {
                field.set(*i);
            }
            let expected: std::collections::BTreeSet<u64> = picks.into_iter().filter(|i| *i < len).collect();
            prop_assert_eq!(field.iter().collect::<Vec<_>>(), expected.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(field.count(), expected.len() as u64);
            let back = Bitfield::from_bytes(len, field.as_bytes().to_vec()).unwrap();
            prop_assert_eq!(back, field);
        }
    }

    #[test]
    fn malformed_wire_bitfields_are_rejected() {
        assert!(Bitfield::from_bytes(9, vec![0]).is_none(), "too short");
        assert!(
            Bitfield::from_bytes(3, vec![0b1000]).is_none(),
            "bit past the end"
        );
        assert!(Bitfield::full(10).is_complete());
        assert!(!Bitfield::new(10).is_complete());
    }
}
