//! Identifier formats of the Machines API (fly-machines-api.md §2), so that
//! clients that parse or pattern-match ids see the shapes they see on Fly.

use rand::Rng;

/// A machine id: 14 lowercase hex characters, e.g. `1857156b526dd8`.
pub fn machine_id() -> String {
    random_hex(7)
}

/// A volume id: `vol_` and 16 lowercase alphanumerics.
pub fn volume_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("vol_{tail}")
}

/// A lease nonce: 12 lowercase hex characters.
pub fn nonce() -> String {
    random_hex(6)
}

/// A 26-character ULID, the format of machine versions and event ids.
/// Time-ordered (48-bit millisecond timestamp first) like the real ones.
pub fn ulid() -> String {
    const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis = u128::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0);
    let random: u128 = rand::rng().random::<u128>() & ((1u128 << 80) - 1);
    let value = (millis << 80) | random;
    (0..26)
        .rev()
        .map(|i| CROCKFORD[((value >> (i * 5)) & 0x1f) as usize] as char)
        .collect()
}

/// A 6PN private address in the `fdaa:` range. The third group is derived from
/// the app's network so that machines of one network share a prefix, as on Fly.
pub fn private_ip(network: &str) -> String {
    let mut rng = rand::rng();
    format!(
        "fdaa:0:{:x}:a7b:{:x}:{:x}:{:x}:2",
        network_group(network),
        rng.random_range(1..0xffffu32),
        rng.random_range(1..0xffffu32),
        rng.random_range(1..0xffffu32)
    )
}

/// The 16-bit group that identifies a 6PN network in its addresses.
pub fn network_group(network: &str) -> u16 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(network.as_bytes());
    u16::from_be_bytes([digest[0], digest[1]]) | 1
}

/// A request id for the `fly-request-id` response header.
pub fn request_id() -> String {
    format!("{}-{}", ulid().to_lowercase(), "local")
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(buf.as_mut_slice());
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_the_api() {
        let id = machine_id();
        assert_eq!(id.len(), 14);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let vol = volume_id();
        assert!(vol.starts_with("vol_") && vol.len() == 20, "{vol}");
        assert_eq!(nonce().len(), 12);
        let u = ulid();
        assert_eq!(u.len(), 26);
        assert!(private_ip("default").starts_with("fdaa:0:"));
    }
}
