//! XXH64, the 64-bit xxHash: the content hash of indexed files and the checksum of the on-disk
//! index. Written out here (some 60 lines) rather than taken from a crate so its output never
//! changes under us: a stored hash must mean the same thing to every later build.

const PRIME1: u64 = 0x9E37_79B1_85EB_CA87;
const PRIME2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const PRIME3: u64 = 0x1656_67B1_9E37_79F9;
const PRIME4: u64 = 0x85EB_CA77_C2B2_AE63;
const PRIME5: u64 = 0x27D4_EB2F_1656_67C5;

fn round(accumulator: u64, input: u64) -> u64 {
    accumulator.wrapping_add(input.wrapping_mul(PRIME2)).rotate_left(31).wrapping_mul(PRIME1)
}

fn merge(accumulator: u64, value: u64) -> u64 {
    (accumulator ^ round(0, value)).wrapping_mul(PRIME1).wrapping_add(PRIME4)
}

fn word(bytes: &[u8]) -> u64 {
    let mut buffer = [0u8; 8];
    buffer.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(buffer)
}

fn half_word(bytes: &[u8]) -> u64 {
    let mut buffer = [0u8; 4];
    buffer.copy_from_slice(&bytes[..4]);
    u64::from(u32::from_le_bytes(buffer))
}

/// XXH64 of `bytes` with `seed`.
pub fn xxh64(bytes: &[u8], seed: u64) -> u64 {
    let mut rest = bytes;
    let mut hash = if bytes.len() >= 32 {
        let mut lanes = [
            seed.wrapping_add(PRIME1).wrapping_add(PRIME2),
            seed.wrapping_add(PRIME2),
            seed,
            seed.wrapping_sub(PRIME1),
        ];
        while rest.len() >= 32 {
            for (at, lane) in lanes.iter_mut().enumerate() {
                *lane = round(*lane, word(&rest[at * 8..]));
            }
            rest = &rest[32..];
        }
        let mut hash = lanes[0]
            .rotate_left(1)
            .wrapping_add(lanes[1].rotate_left(7))
            .wrapping_add(lanes[2].rotate_left(12))
            .wrapping_add(lanes[3].rotate_left(18));
        for lane in lanes {
            hash = merge(hash, lane);
        }
        hash
    } else {
        seed.wrapping_add(PRIME5)
    };
    hash = hash.wrapping_add(bytes.len() as u64);
    while rest.len() >= 8 {
        hash =
            (hash ^ round(0, word(rest))).rotate_left(27).wrapping_mul(PRIME1).wrapping_add(PRIME4);
        rest = &rest[8..];
    }
    if rest.len() >= 4 {
        hash = (hash ^ half_word(rest).wrapping_mul(PRIME1))
            .rotate_left(23)
            .wrapping_mul(PRIME2)
            .wrapping_add(PRIME3);
        rest = &rest[4..];
    }
    for &byte in rest {
        hash = (hash ^ u64::from(byte).wrapping_mul(PRIME5)).rotate_left(11).wrapping_mul(PRIME1);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(PRIME2);
    hash ^= hash >> 29;
    hash = hash.wrapping_mul(PRIME3);
    hash ^ (hash >> 32)
}

#[cfg(test)]
mod tests {
    use super::xxh64;

    #[test]
    fn matches_the_reference_vectors() {
        // Checked against the reference library (libxxhash 0.8.1, `XXH64`).
        assert_eq!(xxh64(b"", 0), 0xEF46_DB37_51D8_E999);
        assert_eq!(xxh64(b"a", 0), 0xD24E_C4F1_A98C_6E5B);
        assert_eq!(xxh64(b"abc", 0), 0x44BC_2CF5_AD77_0999);
        assert_eq!(xxh64(b"Nobody inspects the spammish repetition", 0), 0xFBCE_A83C_8A37_8BF1);
        let bytes: Vec<u8> = (0..200u8).collect();
        assert_eq!(xxh64(&bytes, 0), 0x50DC_1079_B99E_879C);
        assert_eq!(xxh64(&bytes, 7), 0x3809_5D11_0DB1_74CC);
        assert_eq!(xxh64(b"abc", 7), 0x9E75_5206_1566_76D7);
    }
}
