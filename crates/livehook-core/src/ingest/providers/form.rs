//! `application/x-www-form-urlencoded` bodies (nginx-rtmp's hooks): `key=value` pairs joined by
//! `&`, values percent-encoded with `+` for a space. A sender may repeat a key: the first
//! occurrence is the one read (nginx-rtmp writes its own fields before the client's query).

/// The raw (still encoded) value of the first `key=` pair, if any. Keys are compared as sent:
/// nginx-rtmp writes its own keys unencoded.
pub(crate) fn first<'a>(body: &'a [u8], key: &str) -> Option<&'a [u8]> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let eq = pair.iter().position(|b| *b == b'=')?;
        (&pair[..eq] == key.as_bytes()).then(|| &pair[eq + 1..])
    })
}

/// A value decoded: `%XX` to its byte, `+` to a space; `None` when a `%` is not followed by two
/// hex digits or the bytes are not UTF-8.
pub(crate) fn decode(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().copied();
    while let Some(b) = bytes.next() {
        out.push(match b {
            b'+' => b' ',
            b'%' => {
                let hi = hex_digit(bytes.next()?)?;
                let lo = hex_digit(bytes.next()?)?;
                hi << 4 | lo
            }
            other => other,
        });
    }
    String::from_utf8(out).ok()
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_occurrence_of_a_key_is_read() {
        let body = b"app=live&name=a&call=publish&name=b&call=play";
        assert_eq!(first(body, "name"), Some(&b"a"[..]));
        assert_eq!(first(body, "call"), Some(&b"publish"[..]));
        assert_eq!(first(body, "clientid"), None);
        // A key is matched whole, and a pair without `=` is no pair.
        assert_eq!(first(b"names=x&name", "name"), None);
        assert_eq!(first(b"name=", "name"), Some(&b""[..]));
    }

    #[test]
    fn values_are_percent_decoded() {
        assert_eq!(
            decode(b"FMLE/3.0%20(compatible%3B%20Lavf)").as_deref(),
            Some("FMLE/3.0 (compatible; Lavf)")
        );
        assert_eq!(decode(b"a+b%2Bc").as_deref(), Some("a b+c"));
        assert_eq!(decode(b"%e2%82%AC").as_deref(), Some("€"));
        for bad in [&b"%"[..], b"%4", b"%zz", b"%ff"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
