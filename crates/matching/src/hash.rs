//! A fast, non-cryptographic hasher for the id index.
//!
//! Order ids are 128-bit numbers the service generates (UUIDv7), never chosen by a client,
//! so the index needs speed, not resistance to crafted collisions. Each 64-bit word is mixed
//! with a folded multiply (the full 128-bit product, high half xor low half), which spreads
//! every input bit over the whole output: both the bucket (low bits) and the control byte
//! (high bits) of `std`'s hash table get entropy even from sequential ids.

use std::hash::{BuildHasherDefault, Hasher};

const K0: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x1319_8a2e_0370_7344;
const K2: u64 = 0xa409_3822_299f_31d0;

#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The hasher. `write_u128` and `write_u64` are the fast paths; other writes fold bytes in
/// eight at a time.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher(u64);

impl IdHasher {
    #[inline(always)]
    fn mix(&mut self, word: u64) {
        self.0 = folded_multiply(self.0 ^ word ^ K0, K1);
    }
}

impl Hasher for IdHasher {
    #[inline(always)]
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline(always)]
    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    #[inline(always)]
    fn write_u128(&mut self, n: u128) {
        let low = folded_multiply(self.0 ^ (n as u64) ^ K0, K1);
        self.0 = folded_multiply(low ^ ((n >> 64) as u64), K2);
    }
}

/// `BuildHasher` for [`IdHasher`].
pub type BuildIdHasher = BuildHasherDefault<IdHasher>;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn sequential_ids_spread_over_buckets_and_control_bytes() {
        let build = BuildIdHasher::default();
        let hashes: Vec<u64> = (0u128..4096).map(|i| build.hash_one(i)).collect();
        let distinct: HashSet<u64> = hashes.iter().copied().collect();
        assert_eq!(distinct.len(), hashes.len());
        // Low 10 bits (a 1024-bucket table) and top 7 bits (the control byte) both vary.
        let low: HashSet<u64> = hashes.iter().map(|h| h & 1023).collect();
        let top: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(low.len() > 900, "{}", low.len());
        assert_eq!(top.len(), 128);
    }

    #[test]
    fn uuid_v7_like_ids_differing_in_high_bits_only_differ() {
        let build = BuildIdHasher::default();
        let a = build.hash_one(1u128 << 100);
        let b = build.hash_one(2u128 << 100);
        assert_ne!(a, b);
        let mut h = IdHasher::default();
        h.write(b"abc");
        let mut g = IdHasher::default();
        g.write(b"abd");
        assert_ne!(h.finish(), g.finish());
    }
}
