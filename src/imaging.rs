//! Photos (R31): what an upload may be, and its re-encoding. The content decides, not the
//! name or the Content-Type: only JPEG, PNG and WebP by their signatures; the header's size is
//! checked before any pixel is decoded (a decompression bomb is refused at its header), the
//! decoder's allocations are capped, and the picture is turned as its EXIF says, scaled down and
//! written anew as a JPEG from its pixels alone, so no metadata (EXIF GPS, camera, author)
//! survives. Hand-written only around the `image` crate, which does the decoding and encoding.
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The largest upload taken, in bytes (a phone's photo is 2-8 MB).
pub const MAX_BYTES: usize = 15 * 1024 * 1024;
/// The most pixels a picture may have (a 48-megapixel phone camera's full size).
pub const MAX_PIXELS: u64 = 50_000_000;
/// The longest side of a stored photo: enough for a details page on a large screen.
pub const LONG_SIDE: u32 = 1600;
const QUALITY: u8 = 82;

/// Why an upload is refused; each has its own Danish message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JPEG, PNG or WebP by its content.
    NotAnImage,
    /// More pixels than `MAX_PIXELS`, or no pixels.
    TooManyPixels,
    /// A JPEG, PNG or WebP that cannot be decoded (broken, cut off).
    Broken,
}

impl Refusal {
    pub fn message(self) -> String {
        match self {
            Refusal::NotAnImage => {
                "Filen er ikke et billede i JPEG-, PNG- eller WebP-format.".to_string()
            }
            Refusal::TooManyPixels => format!(
                "Billedet har for mange pixels; det må højst have {} megapixel.",
                MAX_PIXELS / 1_000_000
            ),
            Refusal::Broken => {
                "Billedet kunne ikke læses; filen er ødelagt eller ufuldstændig.".to_string()
            }
        }
    }
}

/// A photo ready to store: JPEG bytes and their size in pixels.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The format by the file's first bytes (its signature), when it is one that is taken.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut r = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // A picture this size needs at most 4 bytes a pixel; the decoders' own buffers come on top.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    r.limits(limits);
    r
}

/// Checks and re-encodes an upload (CPU work of up to a second or two for the largest: the
/// caller runs it off the async threads, one at a time).
pub fn reencode(bytes: &[u8]) -> Result<Encoded, Refusal> {
    let format = sniff(bytes).ok_or(Refusal::NotAnImage)?;
    let (w, h) = reader(bytes, format)
        .into_dimensions()
        .map_err(|_| Refusal::Broken)?;
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Refusal::TooManyPixels);
    }
    let mut decoder = reader(bytes, format)
        .into_decoder()
        .map_err(|_| Refusal::Broken)?;
    let orientation = decoder.orientation().map_err(|_| Refusal::Broken)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| Refusal::Broken)?;
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > LONG_SIDE {
        img = img.resize(LONG_SIDE, LONG_SIDE, image::imageops::FilterType::Triangle);
    }
    // JPEG has no transparency: a transparent PNG or WebP is laid on white.
    let rgb = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        let mut out = image::RgbImage::new(rgba.width(), rgba.height());
        for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
            let a = u16::from(p[3]);
            let mix = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
            *o = image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])]);
        }
        out
    } else {
        img.to_rgb8()
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&rgb)
        .map_err(|_| Refusal::Broken)?;
    Ok(Encoded {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([10, 200, 30, 128]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
            .expect("png");
        out
    }

    use image::ImageEncoder;

    #[test]
    fn r31_a_png_becomes_a_jpeg_on_white_and_is_scaled() {
        let e = reencode(&png(3200, 100)).expect("ok");
        assert_eq!((e.width, e.height), (1600, 50));
        assert_eq!(sniff(&e.jpeg), Some(ImageFormat::Jpeg));
    }

    #[test]
    fn r31_not_an_image_and_broken_files_are_refused() {
        assert_eq!(
            reencode(b"MZ\x90\x00this is an executable").err(),
            Some(Refusal::NotAnImage)
        );
        let mut cut = png(50, 50);
        cut.truncate(cut.len() / 2);
        assert_eq!(reencode(&cut).err(), Some(Refusal::Broken));
    }
}
