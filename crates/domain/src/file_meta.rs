//! Taking the metadata out of a picture before it is stored: a photo from a phone carries
//! where it was taken (EXIF GPS), when, and with which device — enough to find the person
//! who sent it. JPEG: the EXIF/XMP segment (APP1), vendor segments (APP3–APP13, APP15),
//! APP2 unless it is the colour profile (a multi-picture index is not), comments, and
//! whatever follows the end of the image (phones append more pictures and videos there,
//! each with its own EXIF) go; the image data, JFIF (APP0), the colour profile and Adobe's
//! colour transform (APP14) stay. PNG: only the chunks that draw the image are kept
//! (an allowlist: header, palette, data, transparency, colour and pixel-size chunks). A file
//! that cannot be read as its type is refused (`None`), never stored with its metadata.
//! PDF files are kept as they are (their document information is not rewritten here; the
//! form says so).

/// The file without its metadata, or `None` when it is not a well-formed file of its type.
pub fn strip(content_type: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match content_type {
        "image/jpeg" => strip_jpeg(bytes),
        "image/png" => strip_png(bytes),
        _ => Some(bytes.to_vec()),
    }
}

fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    if !b.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..2]);
    let mut i = 2;
    loop {
        // Fill bytes (0xff) may precede a marker.
        while b.get(i) == Some(&0xff) && b.get(i + 1) == Some(&0xff) {
            i += 1;
        }
        if b.get(i) != Some(&0xff) {
            return None;
        }
        let marker = *b.get(i + 1)?;
        match marker {
            // End of image.
            0xd9 => {
                out.extend_from_slice(&b[i..i + 2]);
                return Some(out);
            }
            // Markers without a length.
            0x01 | 0xd0..=0xd7 => {
                out.extend_from_slice(&b[i..i + 2]);
                i += 2;
            }
            _ => {
                let len = u16::from_be_bytes([*b.get(i + 2)?, *b.get(i + 3)?]) as usize;
                if len < 2 {
                    return None;
                }
                let end = i + 2 + len;
                let segment = b.get(i..end)?;
                let icc = marker == 0xe2 && segment.get(4..16) == Some(b"ICC_PROFILE\0");
                let drop =
                    matches!(marker, 0xe1 | 0xe3..=0xed | 0xef | 0xfe) || (marker == 0xe2 && !icc);
                if !drop {
                    out.extend_from_slice(segment);
                }
                i = end;
                // Start of scan: the compressed image follows up to the end-of-image marker
                // (inside it a 0xff byte is always followed by 0x00 or a restart marker, so
                // the first 0xff 0xd9 ends it); anything after that is dropped.
                if marker == 0xda {
                    let rest = &b[i..];
                    let eoi = rest.windows(2).position(|w| w == [0xff, 0xd9])?;
                    out.extend_from_slice(&rest[..eoi + 2]);
                    return Some(out);
                }
            }
        }
    }
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    if !b.starts_with(&PNG_SIGNATURE) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&PNG_SIGNATURE);
    let mut i = PNG_SIGNATURE.len();
    loop {
        let len = u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize;
        let kind = b.get(i + 4..i + 8)?;
        let end = i.checked_add(12)?.checked_add(len)?;
        let chunk = b.get(i..end)?;
        let keep = matches!(
            kind,
            b"IHDR"
                | b"PLTE"
                | b"IDAT"
                | b"IEND"
                | b"tRNS"
                | b"gAMA"
                | b"cHRM"
                | b"sRGB"
                | b"iCCP"
                | b"sBIT"
                | b"pHYs"
                | b"bKGD"
        );
        if keep {
            out.extend_from_slice(chunk);
        }
        i = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
        let mut s = vec![0xff, marker];
        s.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(data);
        s
    }

    #[test]
    fn a_photo_loses_its_exif_and_comments_and_keeps_its_image() {
        let mut jpeg = vec![0xff, 0xd8];
        jpeg.extend(segment(0xe0, b"JFIF\0\x01\x01"));
        jpeg.extend(segment(0xe1, b"Exif\0\0GPS -10.17 123.60"));
        jpeg.extend(segment(0xfe, b"Kupang, rumah Pak R"));
        jpeg.extend(segment(0xdb, &[0; 65]));
        jpeg.extend(segment(0xe2, b"ICC_PROFILE\0\x01\x01sRGB"));
        jpeg.extend(segment(0xe2, b"MPF\0 second picture at 4096"));
        jpeg.extend(segment(0xda, &[1, 2, 3]));
        jpeg.extend_from_slice(&[9, 9, 0xff, 0x00, 9, 0xff, 0xd9]);
        let image_len = jpeg.len();
        // A phone's trailer: a second picture with its own EXIF after the end of the image.
        jpeg.extend_from_slice(&[0xff, 0xd8]);
        jpeg.extend(segment(0xe1, b"Exif\0\0GPS again"));
        jpeg.extend_from_slice(&[0xff, 0xd9]);
        let clean = strip("image/jpeg", &jpeg).unwrap();
        let text = String::from_utf8_lossy(&clean);
        assert!(!text.contains("GPS") && !text.contains("Kupang") && !text.contains("MPF"));
        assert!(text.contains("JFIF") && text.contains("ICC_PROFILE"));
        assert!(
            clean.ends_with(&[9, 9, 0xff, 0x00, 9, 0xff, 0xd9]),
            "trailer gone"
        );
        assert_eq!(clean.len(), image_len - 27 - 23 - 31);
        // Cut short, or not a JPEG at all: refused.
        assert!(strip("image/jpeg", &jpeg[..12]).is_none());
        assert!(strip("image/jpeg", b"%PDF-1.4").is_none());
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn a_png_loses_its_text_and_exif_chunks() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"tEXt", b"Author\0Yuliana"));
        png.extend(chunk(b"eXIf", b"MM\0*GPS"));
        png.extend(chunk(b"caBX", b"C2PA manifest: Samsung SM-A155F"));
        png.extend(chunk(b"IDAT", &[7; 20]));
        png.extend(chunk(b"IEND", &[]));
        let clean = strip("image/png", &png).unwrap();
        let text = String::from_utf8_lossy(&clean);
        assert!(!text.contains("Yuliana") && !text.contains("GPS") && !text.contains("Samsung"));
        assert!(text.contains("IHDR") && text.contains("IDAT") && text.ends_with("IEND\0\0\0\0"));
        assert!(strip("image/png", &png[..30]).is_none());
        assert_eq!(
            strip("application/pdf", b"%PDF-1.4 x").unwrap(),
            b"%PDF-1.4 x"
        );
    }
}
