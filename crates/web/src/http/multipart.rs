//! A small `multipart/form-data` reader for the one upload form (evidence files): the body
//! is already in memory and size-limited, so parts are slices of it. Enough of RFC 7578 for
//! what browsers send; anything else is refused as a bad request.

/// One part of a form: its field name, the file name if it is a file, and its bytes.
#[derive(Debug)]
pub struct Part<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub data: &'a [u8],
}

impl Part<'_> {
    /// A text field's value; `None` when it is not UTF-8 (the caller refuses it on its
    /// field rather than replacing bytes by U+FFFD).
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.data).ok()
    }
}

/// The boundary from a `Content-Type: multipart/form-data; boundary=…` header.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// A header parameter such as `name="x"` in a Content-Disposition line.
fn param(line: &str, key: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let pat = format!("{key}=\"");
    let mut at = 0;
    while let Some(i) = lower[at..].find(&pat) {
        let start = at + i;
        // Not the tail of another parameter (`filename=` contains `name=`).
        let ok = start == 0 || matches!(lower.as_bytes()[start - 1], b' ' | b';');
        let vstart = start + pat.len();
        if ok {
            let end = line[vstart..].find('"')? + vstart;
            return Some(line[vstart..end].to_owned());
        }
        at = vstart;
    }
    None
}

/// Splits the body into parts. `None` when it is not well-formed.
pub fn parse<'a>(boundary: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, delim, 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return None;
        }
        pos += 2;
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = std::str::from_utf8(&body[pos..head_end]).ok()?;
        let data_start = head_end + 4;
        let mut next_delim = Vec::with_capacity(delim.len() + 2);
        next_delim.extend_from_slice(b"\r\n");
        next_delim.extend_from_slice(delim);
        let data_end = find(body, &next_delim, data_start)?;
        let disp = head
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        parts.push(Part {
            name: param(disp, "name")?,
            filename: param(disp, "filename"),
            data: &body[data_start..data_end],
        });
        pos = data_end + next_delim.len();
        if parts.len() > 20 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"surat.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n\r\nx\r\n--XyZ--\r\n";
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let parts = parse(&b, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf");
        assert_eq!(parts[0].data, b"abc");
        assert_eq!(parts[1].name, "file");
        assert_eq!(parts[1].filename.as_deref(), Some("surat.pdf"));
        assert_eq!(parts[1].data, b"%PDF-1.4\r\n\r\nx");
        assert_eq!(parts[0].text(), Some("abc"));
    }

    #[test]
    fn text_that_is_not_utf8_is_not_text() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"victim\"\r\n\r\n\xff\xfe7\r\n--XyZ--\r\n";
        let parts = parse("XyZ", body).unwrap();
        assert_eq!((parts[0].name.as_str(), parts[0].text()), ("victim", None));
    }

    #[test]
    fn refuses_garbage() {
        assert!(boundary("application/x-www-form-urlencoded").is_none());
        assert!(parse("XyZ", b"--XyZ\r\nno headers end").is_none());
        assert!(parse("XyZ", b"nothing").is_none());
    }
}
