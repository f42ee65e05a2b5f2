//! Device identity: an Ed25519 key whose owner signs the connect challenge.
//!
//! - `publicKey`: unpadded base64url of the raw 32-byte key;
//! - `id`: lowercase hex SHA-256 of those 32 bytes;
//! - `signedAt`: the challenge `ts`, within ±120 s of server time;
//! - `signature`: unpadded base64url Ed25519 signature of
//!   `v3|<deviceId>|<client.id>|<client.mode>|<role>|<scopes,>|<signedAt>|<token>|<nonce>|<platform>|<deviceFamily>`
//!   (`<token>` = `auth.token` ?? `auth.deviceToken` ?? `auth.bootstrapToken` ?? empty; platform and
//!   device family trimmed and ASCII-lowercased). The legacy `v2|…` form (first nine fields) is accepted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::connect::ConnectParams;
use super::errors::{ErrorCode, ErrorShape};

/// How far `signedAt` may be from the server clock.
pub const SIGNATURE_SKEW_MS: u64 = 120_000;

/// A device whose proof checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDevice {
    pub id: String,
    /// Unpadded base64url of the raw key, as sent.
    pub public_key: String,
}

/// Why a device proof was rejected; maps to the original's message and detail code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    IdMismatch,
    Expired,
    NonceMismatch,
    SignatureInvalid,
    PublicKeyInvalid,
}

impl ProofError {
    /// The handshake error the original sends (then closes 1008 with the message).
    pub fn to_error(self) -> ErrorShape {
        let (message, code, reason) = match self {
            Self::IdMismatch => (
                "device identity mismatch",
                "DEVICE_AUTH_DEVICE_ID_MISMATCH",
                "device-id-mismatch",
            ),
            Self::Expired => (
                "device signature expired",
                "DEVICE_AUTH_SIGNATURE_EXPIRED",
                "device-signature-stale",
            ),
            Self::NonceMismatch => (
                "device nonce mismatch",
                "DEVICE_AUTH_NONCE_MISMATCH",
                "device-nonce-mismatch",
            ),
            Self::SignatureInvalid => (
                "device signature invalid",
                "DEVICE_AUTH_SIGNATURE_INVALID",
                "device-signature",
            ),
            Self::PublicKeyInvalid => (
                "device public key invalid",
                "DEVICE_AUTH_PUBLIC_KEY_INVALID",
                "device-public-key",
            ),
        };
        ErrorShape::new(ErrorCode::InvalidRequest, message)
            .with_details(json!({ "code": code, "reason": reason }))
    }
}

/// The device id for a raw public key.
pub fn device_id(raw_key: &[u8]) -> String {
    hex::encode(Sha256::digest(raw_key))
}

/// Checks `params.device` against the challenge `nonce` at server time `now_ms`.
/// `requested_scopes` are the scopes as the client sent them (they are signed).
pub fn verify(
    params: &ConnectParams,
    nonce: &str,
    now_ms: u64,
) -> Result<Option<VerifiedDevice>, ProofError> {
    let Some(device) = &params.device else {
        return Ok(None);
    };
    let raw = URL_SAFE_NO_PAD
        .decode(device.public_key.trim_end_matches('='))
        .ok();
    if raw.as_deref().map(device_id).as_deref() != Some(device.id.as_str()) {
        return Err(ProofError::IdMismatch);
    }
    if now_ms.abs_diff(device.signed_at) > SIGNATURE_SKEW_MS {
        return Err(ProofError::Expired);
    }
    if device.nonce.trim() != nonce {
        return Err(ProofError::NonceMismatch);
    }
    let raw: [u8; 32] = raw
        .and_then(|r| r.try_into().ok())
        .ok_or(ProofError::PublicKeyInvalid)?;
    let key = VerifyingKey::from_bytes(&raw).map_err(|_| ProofError::PublicKeyInvalid)?;
    let signature = URL_SAFE_NO_PAD
        .decode(device.signature.trim_end_matches('='))
        .ok()
        .and_then(|s| Signature::from_slice(&s).ok())
        .ok_or(ProofError::SignatureInvalid)?;
    let signed = [payload(params, 3), payload(params, 2)]
        .iter()
        .any(|text| key.verify_strict(text.as_bytes(), &signature).is_ok());
    if !signed {
        return Err(ProofError::SignatureInvalid);
    }
    Ok(Some(VerifiedDevice {
        id: device.id.clone(),
        public_key: device.public_key.clone(),
    }))
}

/// The signed text, version 3 (current) or 2 (legacy, nine fields).
pub fn payload(params: &ConnectParams, version: u8) -> String {
    let device = params.device.as_ref().expect("payload needs a device");
    let auth = &params.auth;
    let token = [&auth.token, &auth.device_token, &auth.bootstrap_token]
        .into_iter()
        .find_map(|t| t.as_deref().filter(|t| !t.is_empty()))
        .unwrap_or("");
    let scopes = params.scopes.as_deref().unwrap_or_default().join(",");
    let mut fields = vec![
        format!("v{version}"),
        device.id.clone(),
        params.client.id.clone(),
        params.client.mode.clone(),
        params.role().to_owned(),
        scopes,
        device.signed_at.to_string(),
        token.to_owned(),
        device.nonce.clone(),
    ];
    if version >= 3 {
        let norm = |s: Option<&str>| s.unwrap_or("").trim().to_ascii_lowercase();
        fields.push(norm(Some(&params.client.platform)));
        fields.push(norm(params.client.device_family.as_deref()));
    }
    fields.join("|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use serde_json::json;

    fn params(key: &SigningKey, nonce: &str, signed_at: u64, version: u8) -> ConnectParams {
        let raw = key.verifying_key().to_bytes();
        let mut p = ConnectParams::parse(Some(&json!({
            "minProtocol": 4, "maxProtocol": 4,
            "client": {"id": "openclaw-control-ui", "version": "1", "platform": " Linux ", "deviceFamily": "Desktop", "mode": "ui"},
            "scopes": ["operator.read", "operator.write"], "auth": {"token": "tok"},
            "device": {"id": device_id(&raw), "publicKey": URL_SAFE_NO_PAD.encode(raw), "signature": "x", "signedAt": signed_at, "nonce": nonce},
        })))
        .unwrap();
        let sig = key.sign(payload(&p, version).as_bytes());
        p.device.as_mut().unwrap().signature = URL_SAFE_NO_PAD.encode(sig.to_bytes());
        p
    }

    #[test]
    fn accepts_v3_and_v2_signatures() {
        let key = SigningKey::from_bytes(&[7; 32]);
        for version in [3, 2] {
            let p = params(&key, "n1", 1_000_000, version);
            assert!(payload(&p, 3).ends_with("|n1|linux|desktop"));
            let d = verify(&p, "n1", 1_000_500).unwrap().unwrap();
            assert_eq!(d.id.len(), 64);
        }
    }

    #[test]
    fn rejects_each_kind_of_bad_proof() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let p = params(&key, "n1", 1_000_000, 3);
        assert_eq!(verify(&p, "n2", 1_000_000), Err(ProofError::NonceMismatch));
        assert_eq!(
            verify(&p, "n1", 1_000_000 + SIGNATURE_SKEW_MS + 1),
            Err(ProofError::Expired)
        );
        let mut tampered = p.clone();
        tampered.scopes = Some(vec!["operator.admin".into()]);
        assert_eq!(
            verify(&tampered, "n1", 1_000_000),
            Err(ProofError::SignatureInvalid)
        );
        let mut wrong_id = p.clone();
        wrong_id.device.as_mut().unwrap().id = "00".repeat(32);
        assert_eq!(
            verify(&wrong_id, "n1", 1_000_000),
            Err(ProofError::IdMismatch)
        );
        assert_eq!(
            ProofError::SignatureInvalid.to_error().details.unwrap()["code"],
            "DEVICE_AUTH_SIGNATURE_INVALID"
        );
    }
}
