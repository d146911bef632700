//! ZeroMQ CURVE keys, shared by the client (`server_public_key`) and faissx-server
//! (`--curve-secret-key-file`, `faissx-server keygen`): Z85 text ↔ 32-byte keys, key files.
//!
//! Keys are checked here rather than by libzmq, whose Z85 decoder silently accepts characters
//! outside the alphabet: a mistyped key would otherwise become some other, valid-looking key,
//! and the connection would time out with no hint why. Messages about a key never quote it,
//! because the same checks read secret keys.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A CURVE key (public or secret) as raw bytes.
pub type Key = [u8; 32];

/// A secret key, kept out of `Debug` output (the server's `Config` is printed when debugging).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub Key);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// Length of a key in Z85 text.
pub const KEY_TEXT_LEN: usize = 40;

const Z85_ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Fails with a clear message when this libzmq was built without CURVE (no libsodium): setting
/// CURVE options on such a socket would fail with a bare EINVAL.
pub fn check_available() -> Result<(), String> {
    if zmq::has("curve") == Some(true) {
        Ok(())
    } else {
        let (major, minor, patch) = zmq::version();
        Err(format!(
            "this libzmq ({major}.{minor}.{patch}) was built without CURVE support \
             (install a libzmq built with libsodium)"
        ))
    }
}

/// Decodes a key from its 40 Z85 characters (surrounding whitespace ignored). The error says
/// what is wrong without quoting the text.
pub fn decode(text: &str) -> Result<Key, String> {
    let text = text.trim().as_bytes();
    if text.len() != KEY_TEXT_LEN {
        return Err(format!(
            "a CURVE key is {KEY_TEXT_LEN} Z85 characters, this one has {}",
            text.len()
        ));
    }
    let mut key = [0u8; 32];
    for (group, out) in text.chunks(5).zip(key.chunks_mut(4)) {
        let mut value: u64 = 0;
        for &c in group {
            let digit = Z85_ALPHABET.iter().position(|&a| a == c).ok_or_else(|| {
                "a CURVE key holds only Z85 characters (letters, digits and .-:+=^!/*?&<>()[]{}@%$#)"
                    .to_string()
            })?;
            value = value * 85 + digit as u64;
        }
        let value = u32::try_from(value)
            .map_err(|_| "not a valid Z85 encoding of a CURVE key".to_string())?;
        out.copy_from_slice(&value.to_be_bytes());
    }
    Ok(key)
}

/// A key as 40 Z85 characters.
pub fn encode(key: &Key) -> String {
    zmq::z85_encode(key).expect("32 bytes is a multiple of 4")
}

/// The public key that belongs to a secret key, for the server to print: operators can check
/// it against the `.pub` file they hand to clients.
pub fn public_of(secret: &Key) -> Result<Key, String> {
    extern "C" {
        // libzmq ≥ 4.2.1; the zmq crate does not wrap it.
        fn zmq_curve_public(
            z85_public: *mut std::os::raw::c_char,
            z85_secret: *const std::os::raw::c_char,
        ) -> std::os::raw::c_int;
    }
    check_available()?;
    let secret_text = std::ffi::CString::new(encode(secret)).expect("Z85 has no NUL");
    let mut public_text = [0u8; KEY_TEXT_LEN + 1];
    // SAFETY: both buffers hold 41 bytes (40 characters and a NUL), as libzmq requires.
    let rc = unsafe { zmq_curve_public(public_text.as_mut_ptr().cast(), secret_text.as_ptr()) };
    if rc != 0 {
        return Err(format!(
            "cannot derive the public key: {}",
            // SAFETY: reads this thread's errno as libzmq set it.
            zmq::Error::from_raw(unsafe { zmq_sys::zmq_errno() })
        ));
    }
    let text = std::str::from_utf8(&public_text[..KEY_TEXT_LEN]).map_err(|e| e.to_string())?;
    decode(text)
}

/// Reads the server's secret key from `path`: 40 Z85 characters, surrounding whitespace
/// ignored. Like ssh with its private keys, refuses a file that group or others may access,
/// since anyone who reads it can impersonate the server.
pub fn read_secret_key_file(path: &Path) -> Result<SecretKey, String> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{shown}: permissions {mode:04o} are too open: the secret key must be readable by \
             its owner only (chmod 600 {shown})"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    decode(&text)
        .map(SecretKey)
        .map_err(|why| format!("{shown}: not a CURVE secret key: {why}"))
}

/// Writes a new key pair: `PREFIX.key` (the secret key, mode 0600) and `PREFIX.pub` (the public
/// key, for clients). Refuses to overwrite either file: replacing a server's key locks out every
/// client that has the old public key.
pub fn write_key_files(prefix: &Path) -> Result<(PathBuf, PathBuf), String> {
    check_available()?;
    let with_extension = |ext: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    let (secret_path, public_path) = (with_extension(".key"), with_extension(".pub"));
    for path in [&secret_path, &public_path] {
        if path.exists() {
            return Err(format!(
                "{} already exists: not overwriting a key (remove it first)",
                path.display()
            ));
        }
    }
    let pair = zmq::CurveKeyPair::new().map_err(|e| format!("cannot generate keys: {e}"))?;
    let write = |path: &Path, mode: u32, key: &Key| -> Result<(), String> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        writeln!(file, "{}", encode(key))
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write(&secret_path, 0o600, &pair.secret_key)?;
    write(&public_path, 0o644, &pair.public_key)?;
    Ok((secret_path, public_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_z85() {
        let pair = zmq::CurveKeyPair::new().unwrap();
        let text = encode(&pair.public_key);
        assert_eq!(text.len(), KEY_TEXT_LEN);
        assert_eq!(decode(&format!("  {text}\n")).unwrap(), pair.public_key);
        assert_eq!(public_of(&pair.secret_key).unwrap(), pair.public_key);
    }

    #[test]
    fn malformed_keys_are_refused_without_being_quoted() {
        let good = encode(&zmq::CurveKeyPair::new().unwrap().public_key);
        let short = &good[..39];
        assert!(decode(short).unwrap_err().contains("has 39"));
        let bad_char = format!("~{}", &good[1..]);
        let message = decode(&bad_char).unwrap_err();
        assert!(message.contains("Z85 characters"), "{message}");
        assert!(!message.contains(&good[1..]), "{message}");
        // "%nSc1" is one past the largest 4-byte value.
        let overflow = format!("%nSc1{}", &good[5..]);
        assert!(decode(&overflow).unwrap_err().contains("not a valid Z85"));
        assert!(decode(&format!("%nSc0{}", &good[5..])).is_ok());
    }
}
