//! Uploads that test the photo pipeline, built in code rather than checked in:
//! a JPEG carrying the EXIF and GPS block a phone writes, and a PNG
//! decompression bomb. Public because integration tests and the demo use them.
use super::photos::encode_jpeg;
use image::{Rgb, RgbImage};

// TIFF field types used below.
const BYTE: u16 = 1;
const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;

/// A real JPEG with an `Exif` APP1 segment (camera make, orientation 1 and a
/// GPS position), like an upright photo straight off a phone.
pub fn jpeg_with_gps_exif(width: u32, height: u32) -> Vec<u8> {
    jpeg_with_gps_exif_oriented(width, height, 1)
}

/// As [`jpeg_with_gps_exif`], with the EXIF orientation tag set to
/// `orientation` (6: the phone was held upright, the sensor wrote it sideways).
/// The left half of the pixels is red and the right half blue, so a test can
/// tell which way up the result is.
pub fn jpeg_with_gps_exif_oriented(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        let shade = (40 + 100 * y / height.max(1)) as u8;
        if x < width / 2 {
            Rgb([220, shade, 40])
        } else {
            Rgb([40, shade, 220])
        }
    });
    let jpeg = encode_jpeg(&pixels, 90).expect("an in-memory RGB image encodes");
    let exif = exif_block(orientation);

    let mut out = Vec::with_capacity(jpeg.len() + exif.len() + 4);
    out.extend_from_slice(&jpeg[..2]); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `Exif\0\0` then a little-endian TIFF: IFD0 (Make, Orientation, GPS
/// pointer) and a GPS IFD at 45°27'N 122°41'W.
fn exif_block(orientation: u16) -> Vec<u8> {
    let rationals = |parts: [u32; 3]| -> Vec<u8> {
        parts
            .iter()
            .flat_map(|n| [n.to_le_bytes(), 1u32.to_le_bytes()])
            .flatten()
            .collect()
    };
    let ifd0 = |gps_offset: u32| {
        vec![
            Tag::new(0x010F, ASCII, b"Flywheel Phone\0".to_vec()),
            Tag::new(0x0112, SHORT, orientation.to_le_bytes().to_vec()),
            Tag::new(0x8825, LONG, gps_offset.to_le_bytes().to_vec()),
        ]
    };
    let gps = vec![
        Tag::new(0x0000, BYTE, vec![2, 3, 0, 0]), // GPSVersionID
        Tag::new(0x0001, ASCII, b"N\0".to_vec()),
        Tag::new(0x0002, RATIONAL, rationals([45, 27, 0])),
        Tag::new(0x0003, ASCII, b"W\0".to_vec()),
        Tag::new(0x0004, RATIONAL, rationals([122, 41, 0])),
        Tag::new(0x0012, ASCII, b"WGS-84\0".to_vec()),
    ];

    const IFD0_AT: u32 = 8;
    // The pointer is inline, so IFD0's length does not depend on its value.
    let gps_at = IFD0_AT + ifd(IFD0_AT, &ifd0(0)).len() as u32;
    let mut out = b"Exif\0\0II\x2A\0".to_vec();
    out.extend_from_slice(&IFD0_AT.to_le_bytes());
    out.extend(ifd(IFD0_AT, &ifd0(gps_at)));
    out.extend(ifd(gps_at, &gps));
    out
}

struct Tag {
    id: u16,
    kind: u16,
    count: u32,
    data: Vec<u8>,
}

impl Tag {
    fn new(id: u16, kind: u16, data: Vec<u8>) -> Tag {
        let unit = match kind {
            SHORT => 2,
            LONG => 4,
            RATIONAL => 8,
            _ => 1,
        };
        let count = (data.len() / unit) as u32;
        Tag {
            id,
            kind,
            count,
            data,
        }
    }
}

/// One TIFF IFD starting at `at` (offsets count from the TIFF header), its
/// out-of-line values right after it, and no next IFD.
fn ifd(at: u32, tags: &[Tag]) -> Vec<u8> {
    let values_start = at + 2 + 12 * tags.len() as u32 + 4;
    let mut entries = (tags.len() as u16).to_le_bytes().to_vec();
    let mut values = Vec::new();
    for tag in tags {
        entries.extend_from_slice(&tag.id.to_le_bytes());
        entries.extend_from_slice(&tag.kind.to_le_bytes());
        entries.extend_from_slice(&tag.count.to_le_bytes());
        if tag.data.len() <= 4 {
            let mut inline = [0u8; 4];
            inline[..tag.data.len()].copy_from_slice(&tag.data);
            entries.extend_from_slice(&inline);
        } else {
            let value_at = values_start + values.len() as u32;
            entries.extend_from_slice(&value_at.to_le_bytes());
            values.extend_from_slice(&tag.data);
            if tag.data.len() % 2 == 1 {
                values.push(0); // values start on a word boundary
            }
        }
    }
    entries.extend_from_slice(&0u32.to_le_bytes());
    entries.extend(values);
    entries
}

/// A valid, few-kilobyte PNG whose header promises 60000×60000 RGB pixels
/// (10.8 GB decoded); its data stops after two rows of zeros.
pub fn decompression_bomb_png() -> Vec<u8> {
    zero_png(60_000, 60_000, 2)
}

/// An 8-bit RGB PNG of `width`×`height` whose IDAT holds only the first
/// `rows` rows (all black), compressed by hand so nothing needs to hold the
/// whole image.
fn zero_png(width: u32, height: u32, rows: u32) -> Vec<u8> {
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, no filter, no interlace

    let filtered_row = 1 + 3 * width as usize; // filter byte + RGB
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &zlib_zeros(filtered_row * rows as usize));
    png_chunk(&mut png, b"IEND", &[]);
    png
}

fn png_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of `len` zero bytes: one fixed-Huffman deflate block of a
/// literal zero, then 258-byte copies at distance 1, then literal zeros.
fn zlib_zeros(len: usize) -> Vec<u8> {
    const LITERAL_ZERO: (u32, u32) = (0b0011_0000, 8);
    const LENGTH_258: (u32, u32) = (0b1100_0101, 8);
    const DISTANCE_1: (u32, u32) = (0, 5);
    const END_OF_BLOCK: (u32, u32) = (0, 7);

    let mut bits = BitWriter::default();
    bits.put(1, 1); // final block
    bits.put(0b01, 2); // fixed Huffman codes
    if len > 0 {
        bits.code(LITERAL_ZERO);
        for _ in 0..(len - 1) / 258 {
            bits.code(LENGTH_258);
            bits.code(DISTANCE_1);
        }
        for _ in 0..(len - 1) % 258 {
            bits.code(LITERAL_ZERO);
        }
    }
    bits.code(END_OF_BLOCK);

    let mut out = vec![0x78, 0x01]; // deflate, 32K window, no dictionary
    out.extend(bits.finish());
    // Adler-32 of zeros: the low sum stays 1, the high sum gains 1 per byte.
    let adler = ((len % 65_521) as u32) << 16 | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u32,
    filled: u32,
}

impl BitWriter {
    /// Writes `count` bits of `value`, least significant first (deflate's order for data).
    fn put(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.acc |= ((value >> i) & 1) << self.filled;
            self.filled += 1;
            if self.filled == 8 {
                self.bytes.push(self.acc as u8);
                self.acc = 0;
                self.filled = 0;
            }
        }
    }

    /// Writes a Huffman code, most significant bit first (deflate's order for codes).
    fn code(&mut self, (code, count): (u32, u32)) {
        for i in (0..count).rev() {
            self.put((code >> i) & 1, 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            self.bytes.push(self.acc as u8);
        }
        self.bytes
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageFormat;
    use image::metadata::Orientation;

    #[test]
    fn phone_jpeg_carries_exif_and_gps() {
        let jpeg = jpeg_with_gps_exif(64, 48);
        assert!(jpeg.windows(4).any(|w| w == b"Exif"));
        assert!(jpeg.windows(6).any(|w| w == b"WGS-84"));
        let image = image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg).unwrap();
        assert_eq!((image.width(), image.height()), (64, 48));
    }

    #[test]
    fn exif_block_carries_the_orientation() {
        let exif = exif_block(6);
        assert_eq!(
            Orientation::from_exif_chunk(&exif[6..]),
            Some(Orientation::Rotate90)
        );
    }

    #[test]
    fn hand_written_png_decodes() {
        // Two full rows of 301 pixels: exercises the 258-byte copies and the literal tail.
        let png = zero_png(301, 2, 2);
        let image = image::load_from_memory_with_format(&png, ImageFormat::Png)
            .expect("a valid PNG")
            .into_rgb8();
        assert_eq!(image.dimensions(), (301, 2));
        assert!(image.pixels().all(|p| p.0 == [0, 0, 0]));
    }
}
