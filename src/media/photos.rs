//! Shopper photos: sniffed by content, refused before decoding when they are
//! too big, turned upright, and re-encoded from pixels as a display JPEG and a
//! thumbnail, so no EXIF, GPS or other metadata a phone wrote ever leaves here.
use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

pub use super::fixtures::{
    decompression_bomb_png, jpeg_with_gps_exif, jpeg_with_gps_exif_oriented,
};
pub use super::product_shots::sample_photo;

/// Ceiling on what a decoder may allocate, whatever the header claims.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;
const DISPLAY_QUALITY: u8 = 82;
const THUMB_QUALITY: u8 = 78;

/// How big an uploaded photo may be, and how big the copies we keep are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Largest upload accepted, in bytes.
    pub max_bytes: usize,
    /// Largest width × height accepted, read from the header before decoding.
    pub max_pixels: u64,
    /// Largest width or height accepted.
    pub max_side: u32,
    /// Longest side of the display copy (never upscaled).
    pub display_side: u32,
    /// Longest side of the thumbnail.
    pub thumb_side: u32,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        PhotoLimits {
            max_bytes: 8 * 1024 * 1024,
            max_pixels: 40_000_000,
            max_side: 12_000,
            display_side: 1600,
            thumb_side: 320,
        }
    }
}

/// A photo safe to publish: two fresh JPEGs and their sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedPhoto {
    pub display: Vec<u8>,
    pub thumb: Vec<u8>,
    /// Width of `display`.
    pub width: u32,
    /// Height of `display`.
    pub height: u32,
    pub thumb_width: u32,
    pub thumb_height: u32,
    /// What the shopper sent: "jpeg", "png" or "webp".
    pub source_format: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("only JPEG, PNG and WebP photos are accepted")]
    UnsupportedType,
    #[error("photo is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("photo is {width}×{height} pixels, more than we accept")]
    TooManyPixels { width: u32, height: u32 },
    #[error("photo could not be read: {0}")]
    Corrupt(String),
}

impl PhotoError {
    /// Stable machine-readable code for API responses.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::UnsupportedType => "unsupported_photo_type",
            PhotoError::TooLarge { .. } => "photo_too_large",
            PhotoError::TooManyPixels { .. } => "photo_too_many_pixels",
            PhotoError::Corrupt(_) => "photo_unreadable",
        }
    }
}

/// Checks an uploaded photo and re-encodes it as a display copy and a thumbnail.
///
/// CPU-bound (about a second for a 35-megapixel photo in a release build):
/// call it from `spawn_blocking`, not on an async worker.
pub fn process(bytes: &[u8], limits: &PhotoLimits) -> Result<ProcessedPhoto, PhotoError> {
    let (pixels, orientation, source_format) = decode_checked(bytes, limits)?;
    // Resizing before turning upright gives the same picture (the bound is a
    // square) and rotates a few hundred kilobytes instead of the original.
    let display = upright(
        fit_within(flatten_onto_white(pixels), limits.display_side),
        orientation,
    );
    let thumb = fit_within(display.clone(), limits.thumb_side);
    let reencode = |image: &RgbImage, quality| {
        encode_jpeg(image, quality)
            .map_err(|e| PhotoError::Corrupt(format!("re-encoding failed: {e}")))
    };
    Ok(ProcessedPhoto {
        width: display.width(),
        height: display.height(),
        thumb_width: thumb.width(),
        thumb_height: thumb.height(),
        display: reencode(&display, DISPLAY_QUALITY)?,
        thumb: reencode(&thumb, THUMB_QUALITY)?,
        source_format,
    })
}

/// Sniffs the format, checks size and header dimensions, then decodes under
/// an allocation ceiling; returns the pixels, the EXIF orientation and the format name.
fn decode_checked(
    bytes: &[u8],
    limits: &PhotoLimits,
) -> Result<(DynamicImage, Orientation, &'static str), PhotoError> {
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    let source_format = match reader.format() {
        Some(ImageFormat::Jpeg) => "jpeg",
        Some(ImageFormat::Png) => "png",
        Some(ImageFormat::WebP) => "webp",
        _ => return Err(PhotoError::UnsupportedType),
    };
    // Only the allocation ceiling while reading the header: the size check
    // below must see the real dimensions to report them.
    reader.limits(alloc_limit());
    let mut decoder = reader.into_decoder().map_err(unreadable)?;

    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt("the photo has no pixels".into()));
    }
    if width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    let too_big = |_| PhotoError::TooManyPixels { width, height };
    let mut decode_limits = alloc_limit();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    decode_limits
        .reserve(decoder.total_bytes())
        .map_err(too_big)?;
    decoder.set_limits(decode_limits).map_err(too_big)?;

    // A broken EXIF block is no reason to refuse the photo itself.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let pixels = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        ImageError::Limits(_) => PhotoError::TooManyPixels { width, height },
        other => unreadable(other),
    })?;
    Ok((pixels, orientation, source_format))
}

fn alloc_limit() -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    limits
}

fn unreadable(error: ImageError) -> PhotoError {
    PhotoError::Corrupt(error.to_string())
}

/// Drops the alpha channel the way a browser shows it: over a white page.
fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = px.0;
        let over_white =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8;
        out.0 = [over_white(r), over_white(g), over_white(b)];
    }
    rgb
}

/// Scales down so the longest side is at most `side`; never scales up.
fn fit_within(image: RgbImage, side: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let longest = width.max(height);
    if longest <= side {
        return image;
    }
    let scaled = |n: u32, to: u32| {
        ((u64::from(n) * u64::from(to) + u64::from(longest) / 2) / u64::from(longest)).max(1) as u32
    };
    // A fast box reduction first keeps Lanczos cheap on a 40-megapixel upload.
    let twice = side.saturating_mul(2);
    let image = if longest > twice {
        imageops::thumbnail(&image, scaled(width, twice), scaled(height, twice))
    } else {
        image
    };
    imageops::resize(
        &image,
        scaled(width, side),
        scaled(height, side),
        FilterType::Lanczos3,
    )
}

fn upright(image: RgbImage, orientation: Orientation) -> RgbImage {
    if orientation == Orientation::NoTransforms {
        return image;
    }
    let mut image = DynamicImage::ImageRgb8(image);
    image.apply_orientation(orientation);
    image.into_rgb8()
}

/// Fresh baseline JPEG from pixels: no EXIF, XMP or ICC, whatever the source carried.
pub(super) fn encode_jpeg(image: &RgbImage, quality: u8) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(image)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::png::PngEncoder;
    use image::codecs::webp::WebPEncoder;
    use image::{ExtendedColorType, ImageEncoder, Rgb, RgbaImage};
    use std::time::{Duration, Instant};

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn decode(jpeg: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
            .expect("our output is a JPEG")
            .into_rgb8()
    }

    fn small() -> PhotoLimits {
        PhotoLimits {
            display_side: 64,
            thumb_side: 16,
            ..PhotoLimits::default()
        }
    }

    #[test]
    fn phone_metadata_is_gone_from_both_copies() {
        let upload = jpeg_with_gps_exif(120, 80);
        assert!(contains(&upload, b"Exif"));
        assert!(contains(&upload, b"WGS-84"));

        let photo = process(&upload, &PhotoLimits::default()).unwrap();
        for copy in [&photo.display, &photo.thumb] {
            assert!(!contains(copy, b"Exif"));
            assert!(!contains(copy, b"WGS-84"));
            assert!(!contains(copy, b"Flywheel Phone"));
        }
        assert_eq!(photo.source_format, "jpeg");
    }

    #[test]
    fn sideways_phone_photo_comes_out_upright() {
        // Orientation 6: the camera was turned; the left (red) half belongs on top.
        let upload = jpeg_with_gps_exif_oriented(40, 20, 6);
        let photo = process(&upload, &PhotoLimits::default()).unwrap();
        assert_eq!((photo.width, photo.height), (20, 40));

        let display = decode(&photo.display);
        let Rgb([r, _, b]) = *display.get_pixel(10, 5);
        assert!(r > b, "top should be the red half, got r={r} b={b}");
        let Rgb([r, _, b]) = *display.get_pixel(10, 35);
        assert!(b > r, "bottom should be the blue half, got r={r} b={b}");
    }

    #[test]
    fn transparent_png_is_flattened_onto_white() {
        let mut rgba = RgbaImage::from_pixel(30, 20, image::Rgba([0, 0, 0, 0]));
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 255]));
        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(rgba.as_raw(), 30, 20, ExtendedColorType::Rgba8)
            .unwrap();

        let photo = process(&png, &PhotoLimits::default()).unwrap();
        assert_eq!(photo.source_format, "png");
        assert_eq!((photo.width, photo.height), (30, 20));
        let Rgb([r, g, b]) = *decode(&photo.display).get_pixel(20, 15);
        assert!(
            r > 245 && g > 245 && b > 245,
            "expected white, got {r},{g},{b}"
        );
    }

    #[test]
    fn webp_is_accepted() {
        let rgba = RgbaImage::from_pixel(50, 40, image::Rgba([200, 120, 40, 255]));
        let mut webp = Vec::new();
        WebPEncoder::new_lossless(&mut webp)
            .encode(rgba.as_raw(), 50, 40, ExtendedColorType::Rgba8)
            .unwrap();

        let photo = process(&webp, &PhotoLimits::default()).unwrap();
        assert_eq!(photo.source_format, "webp");
        assert_eq!((photo.width, photo.height), (50, 40));
    }

    #[test]
    fn a_text_file_named_jpg_is_refused() {
        let error = process(b"hello, I am definitely a photo", &PhotoLimits::default());
        assert!(matches!(error, Err(PhotoError::UnsupportedType)));
        assert_eq!(PhotoError::UnsupportedType.code(), "unsupported_photo_type");
    }

    #[test]
    fn a_gif_is_refused() {
        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        assert!(matches!(
            process(gif, &PhotoLimits::default()),
            Err(PhotoError::UnsupportedType)
        ));
    }

    #[test]
    fn a_truncated_jpeg_is_unreadable() {
        let jpeg = sample_photo(3, 64, 48);
        let error = process(&jpeg[..40], &PhotoLimits::default()).unwrap_err();
        assert_eq!(error.code(), "photo_unreadable");
    }

    #[test]
    fn oversized_upload_is_refused_before_decoding() {
        let limits = PhotoLimits {
            max_bytes: 1000,
            ..PhotoLimits::default()
        };
        let error = process(&[0u8; 1001], &limits).unwrap_err();
        assert!(matches!(error, PhotoError::TooLarge { limit: 1000 }));
        assert_eq!(error.code(), "photo_too_large");
    }

    #[test]
    fn decompression_bomb_is_refused_from_its_header() {
        let bomb = decompression_bomb_png();
        assert!(bomb.len() < 16 * 1024, "the bomb is {} bytes", bomb.len());

        let started = Instant::now();
        let error = process(&bomb, &PhotoLimits::default()).unwrap_err();
        assert!(
            matches!(
                error,
                PhotoError::TooManyPixels {
                    width: 60_000,
                    height: 60_000
                }
            ),
            "{error:?}"
        );
        assert_eq!(error.code(), "photo_too_many_pixels");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn too_many_pixels_within_the_side_limit_is_refused() {
        let limits = PhotoLimits {
            max_pixels: 100 * 100,
            ..PhotoLimits::default()
        };
        let error = process(&sample_photo(1, 120, 100), &limits).unwrap_err();
        assert!(matches!(
            error,
            PhotoError::TooManyPixels {
                width: 120,
                height: 100
            }
        ));
    }

    #[test]
    fn small_photo_is_never_upscaled() {
        let photo = process(&sample_photo(7, 100, 60), &PhotoLimits::default()).unwrap();
        assert_eq!((photo.width, photo.height), (100, 60));
        assert_eq!(decode(&photo.display).dimensions(), (100, 60));
    }

    #[test]
    fn large_photo_is_scaled_to_fit_keeping_its_shape() {
        let photo = process(&sample_photo(9, 400, 200), &small()).unwrap();
        assert_eq!((photo.width, photo.height), (64, 32));
        assert_eq!((photo.thumb_width, photo.thumb_height), (16, 8));
        assert_eq!(decode(&photo.thumb).dimensions(), (16, 8));
    }

    #[test]
    fn default_thumbnail_fits_in_320() {
        let photo = process(&sample_photo(11, 480, 640), &PhotoLimits::default()).unwrap();
        assert_eq!((photo.width, photo.height), (480, 640));
        assert_eq!((photo.thumb_width, photo.thumb_height), (240, 320));
    }
}
