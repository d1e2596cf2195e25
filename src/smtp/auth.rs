//! SASL mechanisms for SMTP AUTH (RFC 4954): PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login),
//! CRAM-MD5 (RFC 2195) and XOAUTH2 (Google's OAuth 2.0 profile). Only encodings here; the
//! exchange itself is driven by the session.

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};

/// A mechanism we implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
    CramMd5,
    Xoauth2,
}

impl Mechanism {
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::Xoauth2 => "XOAUTH2",
        }
    }

    pub fn from_name(name: &str) -> Option<Mechanism> {
        match name.to_ascii_uppercase().as_str() {
            "PLAIN" => Some(Mechanism::Plain),
            "LOGIN" => Some(Mechanism::Login),
            "CRAM-MD5" => Some(Mechanism::CramMd5),
            "XOAUTH2" => Some(Mechanism::Xoauth2),
            _ => None,
        }
    }

    /// Picks the strongest password mechanism the server offers. CRAM-MD5 never sends the
    /// password itself; PLAIN and LOGIN do (which is why they need TLS). XOAUTH2 takes a token,
    /// not a password, so it is only used when asked for.
    pub fn strongest(offered: &[String]) -> Option<Mechanism> {
        [Mechanism::CramMd5, Mechanism::Plain, Mechanism::Login]
            .into_iter()
            .find(|m| offered.iter().any(|o| o.eq_ignore_ascii_case(m.name())))
    }

    /// Whether the mechanism exposes the password to anyone reading the connection.
    pub fn sends_password_in_clear(self) -> bool {
        !matches!(self, Mechanism::CramMd5)
    }
}

/// `\0user\0password`, base64 (RFC 4616 §2; empty authorization identity).
pub fn plain(user: &str, password: &Secret) -> Secret {
    Secret::new(B64.encode(format!("\0{user}\0{}", password.expose())))
}

/// LOGIN sends the user name and then the password, each base64 on its own line.
pub fn login_user(user: &str) -> Secret {
    Secret::new(B64.encode(user))
}

pub fn login_password(password: &Secret) -> Secret {
    Secret::new(B64.encode(password.expose()))
}

/// CRAM-MD5 (RFC 2195 §2): `user SP hex(HMAC-MD5(password, challenge))`, base64.
pub fn cram_md5(user: &str, password: &Secret, challenge_b64: &str) -> Result<Secret, String> {
    let challenge = B64
        .decode(challenge_b64.trim())
        .map_err(|_| format!("the server's CRAM-MD5 challenge {challenge_b64:?} is not base64"))?;
    let mut mac = Hmac::<md5::Md5>::new_from_slice(password.expose().as_bytes())
        .map_err(|e| e.to_string())?;
    mac.update(&challenge);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Secret::new(B64.encode(format!("{user} {hex}"))))
}

/// XOAUTH2: `user=U ^A auth=Bearer TOKEN ^A ^A`, base64.
pub fn xoauth2(user: &str, token: &Secret) -> Secret {
    Secret::new(B64.encode(format!(
        "user={user}\x01auth=Bearer {}\x01\x01",
        token.expose()
    )))
}

/// Decodes a 334 challenge for display (`VXNlcm5hbWU6` → `Username:`), when it is printable.
pub fn decode_challenge(text: &str) -> Option<String> {
    let bytes = B64.decode(text.trim()).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    (!s.is_empty() && s.chars().all(|c| !c.is_control() || c == ' ')).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_encoding_matches_rfc_4616() {
        // RFC 4616 §4 example without authzid: "\0tim\0tanstaaftanstaaf".
        assert_eq!(
            plain("tim", &Secret::new("tanstaaftanstaaf")).expose(),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
    }

    #[test]
    fn cram_md5_matches_rfc_2195_example() {
        let challenge = B64.encode("<1896.697170952@postoffice.reston.mci.net>");
        let resp = cram_md5("tim", &Secret::new("tanstaaftanstaaf"), &challenge).unwrap();
        let decoded = String::from_utf8(B64.decode(resp.expose()).unwrap()).unwrap();
        assert_eq!(decoded, "tim b913a602c7eda7a495b4e6e7334d3890");
    }

    #[test]
    fn login_and_xoauth2_encodings() {
        assert_eq!(login_user("tester").expose(), "dGVzdGVy");
        assert_eq!(login_password(&Secret::new("pw")).expose(), "cHc=");
        let x = xoauth2(
            "someuser@example.com",
            &Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
        );
        assert_eq!(
            x.expose(),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
    }

    #[test]
    fn strongest_prefers_cram_md5_then_plain() {
        let offered = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Mechanism::strongest(&offered(&["LOGIN", "PLAIN", "CRAM-MD5"])),
            Some(Mechanism::CramMd5)
        );
        assert_eq!(
            Mechanism::strongest(&offered(&["LOGIN", "PLAIN"])),
            Some(Mechanism::Plain)
        );
        assert_eq!(
            Mechanism::strongest(&offered(&["login"])),
            Some(Mechanism::Login)
        );
        assert_eq!(Mechanism::strongest(&offered(&["XOAUTH2", "GSSAPI"])), None);
    }

    #[test]
    fn challenges_are_decoded_for_display() {
        assert_eq!(
            decode_challenge("VXNlcm5hbWU6").as_deref(),
            Some("Username:")
        );
        assert_eq!(decode_challenge("not base64!"), None);
    }
}
