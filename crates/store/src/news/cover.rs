//! An article's cover picture: a PNG or JPEG (recognised by its first bytes), decoded
//! within limits (a small file that claims a huge picture is refused, not allocated),
//! resized to the widths the pages ask for and re-encoded as JPEG — which writes nothing of
//! the original's metadata (a phone's position, the camera, the author's name).

use crate::{Result, StoreError};
use domain::Invalid;
use image::{ImageReader, Limits, imageops::FilterType};
use std::io::Cursor;

/// The widths kept (pixels): a phone, a laptop, a link preview. A narrower picture is kept
/// at its own width only.
pub const WIDTHS: [u32; 3] = [400, 800, 1200];
/// The largest file accepted.
pub const BYTES_MAX: usize = crate::EVIDENCE_MAX;
/// The largest picture decoded (each side, pixels), and in all (40 megapixels).
const SIDE_MAX: u32 = 8_000;
const PIXELS_MAX: u64 = 40_000_000;
/// The most memory the decoder may take.
const ALLOC_MAX: u64 = 256 * 1024 * 1024;

/// Pictures decoded at once (each may take a few hundred MB on a small server).
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// [`renditions`] off the async threads, one picture at a time.
pub async fn renditions_off_thread(bytes: Vec<u8>) -> Result<Vec<Rendition>> {
    let _turn = DECODING
        .acquire()
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
    tokio::task::spawn_blocking(move || renditions(&bytes))
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?
}
/// JPEG quality of the stored widths.
const QUALITY: u8 = 82;

/// One stored width: (width, height, JPEG bytes).
pub type Rendition = (i64, i64, Vec<u8>);

fn refuse(key: &'static str) -> StoreError {
    let mut errs = Invalid::default();
    errs.push("cover", key);
    StoreError::Invalid(errs)
}

/// The renditions of an uploaded picture, or the problem on the form's `cover` field.
pub fn renditions(bytes: &[u8]) -> Result<Vec<Rendition>> {
    if bytes.len() > BYTES_MAX {
        return Err(refuse("err.files_too_big"));
    }
    let format = match crate::recovery::evidence_type(bytes) {
        Some("image/png") => image::ImageFormat::Png,
        Some("image/jpeg") => image::ImageFormat::Jpeg,
        _ => return Err(refuse("err.image_type")),
    };
    // The size the file claims, before anything is decoded: a small file may claim a huge
    // picture.
    let (cw, ch) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| refuse("err.image_type"))?;
    if cw > SIDE_MAX || ch > SIDE_MAX || u64::from(cw) * u64::from(ch) > PIXELS_MAX {
        return Err(refuse("err.image_too_large"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(SIDE_MAX);
    limits.max_image_height = Some(SIDE_MAX);
    limits.max_alloc = Some(ALLOC_MAX);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| refuse("err.image_type"))?;
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return Err(refuse("err.image_type"));
    }
    // Transparent parts on white: dropping the alpha channel would show what lies under it.
    let rgba = img.to_rgba8();
    drop(img);
    let rgb = image::RgbImage::from_fn(w, h, |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let on_white = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([on_white(p[0]), on_white(p[1]), on_white(p[2])])
    });
    drop(rgba);
    let mut out = Vec::new();
    for &width in WIDTHS.iter() {
        let (tw, th) = if w > width {
            let th = ((u64::from(h) * u64::from(width)) / u64::from(w)).max(1);
            (width, u32::try_from(th).unwrap_or(1))
        } else {
            (w, h)
        };
        let resized = if tw == w {
            rgb.clone()
        } else {
            image::imageops::resize(&rgb, tw, th, FilterType::Triangle)
        };
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
            .encode_image(&resized)
            .map_err(|_| refuse("err.image_type"))?;
        out.push((i64::from(tw), i64::from(th), jpeg));
        if tw == w {
            // The picture is no wider than this width: the larger ones would be the same.
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_cover_is_kept_at_three_widths_as_plain_jpeg() {
        let r = renditions(&png(1600, 900)).unwrap();
        let sizes: Vec<(i64, i64)> = r.iter().map(|(w, h, _)| (*w, *h)).collect();
        assert_eq!(sizes, [(400, 225), (800, 450), (1200, 675)]);
        for (_, _, b) in &r {
            assert!(b.starts_with(&[0xff, 0xd8, 0xff]));
            // No EXIF (APP1) segment: the encoder writes JFIF (APP0) only.
            assert!(!b.windows(6).any(|w| w == b"Exif\0\0"));
        }
        let small = renditions(&png(300, 200)).unwrap();
        assert_eq!(small.len(), 1);
        assert_eq!((small[0].0, small[0].1), (300, 200));
    }

    #[test]
    fn disguised_or_broken_pictures_are_refused() {
        assert!(matches!(
            renditions(b"%PDF-1.4 hello"),
            Err(StoreError::Invalid(_))
        ));
        let mut broken = png(50, 50);
        broken.truncate(40);
        assert!(matches!(renditions(&broken), Err(StoreError::Invalid(_))));
    }
}
