//! YUV 4:2:2 → RGB24, exactly as ffmpeg's swscale converts when it scales to RGB itself.
//!
//! ffmpeg used to scale and convert in one go (`-pix_fmt rgb24`). For a scaled picture that
//! conversion runs in swscale's plain C code (`yuv2rgb_X_c`), and it took 80 % of swscale's
//! time and a sixth of all cycles on the 1080p and 850p clips. Asked for planar 4:2:2 at the
//! same size instead, swscale runs its vectorised vertical scaler and stops before the
//! conversion; chroma then sits on the grid its RGB path uses internally (half width, full
//! height), and the 8-bit values it writes are the ones that path rounds to
//! (`(Σ + 2^18) >> 19`, never clipped: the `area` kernel has no negative weights). This
//! module does the rest with swscale's own 24-bit tables (`ff_yuv2rgb_c_init_tables`:
//! brightness 0, contrast and saturation 1), so the RGB is the same to the bit; a test
//! decodes clips both ways and compares.

/// Offsets into swscale's tables (`YUVRGB_TABLE_LUMA_HEADROOM`).
const LUMA_HEADROOM: i64 = 512;

/// The colour matrix and range of the YUV frames, as showinfo names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Colour {
    /// Index into swscale's coefficient table (`ff_yuv2rgb_coeffs`).
    matrix: usize,
    full_range: bool,
}

impl Default for Colour {
    /// What swscale assumes of untagged video: BT.601, limited range.
    fn default() -> Self {
        Colour {
            matrix: 5,
            full_range: false,
        }
    }
}

impl Colour {
    /// From showinfo's `color_space:` and `color_range:` values (`bt709`, `pc`, …). The
    /// matrix follows ffmpeg's scale filter: the frame's own, BT.601 when it is outside the
    /// table (unknown, RGB, YCgCo, newer ones).
    pub(crate) fn from_names(space: &str, range: &str) -> Colour {
        let matrix = match space {
            "bt709" => 1,
            "unknown" | "unspecified" => 2,
            "reserved" => 3,
            "fcc" => 4,
            "bt470bg" => 5,
            "smpte170m" => 6,
            "smpte240m" => 7,
            "bt2020nc" => 9,
            "bt2020c" => 10,
            _ => 5,
        };
        Colour {
            matrix,
            full_range: range == "pc",
        }
    }

    pub(crate) fn with_full_range(self, full_range: bool) -> Colour {
        Colour { full_range, ..self }
    }
}

/// swscale's `ff_yuv2rgb_coeffs`: crv, cbu, cgu, cgv in 1/65536.
const COEFFICIENTS: [[i64; 4]; 11] = [
    [117489, 138438, 13975, 34925],
    [117489, 138438, 13975, 34925],
    [104597, 132201, 25675, 53279],
    [104597, 132201, 25675, 53279],
    [104448, 132798, 24759, 53109],
    [104597, 132201, 25675, 53279],
    [104597, 132201, 25675, 53279],
    [117579, 136230, 16907, 35559],
    // YCgCo has no entry in swscale's table; `from_names` never picks it.
    [104597, 132201, 25675, 53279],
    [110013, 140363, 12277, 42626],
    [110013, 140363, 12277, 42626],
];

/// One chroma term of swscale's table index: `start + (c·inc >> 16)` for chroma value `c`
/// (its `fill_table`, with the `-(inc >> 9)` shift folded into `start`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Term {
    pub start: i32,
    pub inc: i32,
}

impl Term {
    fn new(inc: i64, offset: i64) -> Term {
        // |inc| < 2^18 and c ≤ 255: c·inc fits an i32, as in swscale's own int64 maths.
        Term {
            start: (offset - (inc >> 9)) as i32,
            inc: inc as i32,
        }
    }

    fn at(self, c: u8) -> i32 {
        self.start + ((i32::from(c) * self.inc) >> 16)
    }
}

/// One colour's conversion. Channel value = swscale's 24-bit luma table at
/// `y + term(chroma)`, and that table's entry `i` is `clip((base + i·cy) >> 16)`.
#[derive(Debug, Clone)]
pub(crate) struct Converter {
    pub(super) base: i32,
    pub(super) cy: i32,
    pub(super) red_v: Term,
    pub(super) green_u: Term,
    pub(super) green_v: Term,
    pub(super) blue_u: Term,
}

impl Converter {
    pub(crate) fn new(colour: Colour) -> Converter {
        let [crv, cbu, cgu, cgv] = COEFFICIENTS[colour.matrix];
        let (mut crv, mut cbu, mut cgu, mut cgv) = (crv, cbu, -cgu, -cgv);
        let (cy, oy) = if colour.full_range {
            // C integer division truncates towards zero, as Rust's does.
            (crv, cbu, cgu, cgv) = (
                crv * 224 / 255,
                cbu * 224 / 255,
                cgu * 224 / 255,
                cgv * 224 / 255,
            );
            (1i64 << 16, 0i64)
        } else {
            ((1i64 << 16) * 255 / 219, 16i64 << 16)
        };
        // Contrast and saturation of 1 (65536) leave cy and the chroma factors as they are.
        let per_luma = |c: i64| ((c << 16) + 0x8000) / cy;
        let (crv, cbu, cgu, cgv) = (per_luma(crv), per_luma(cbu), per_luma(cgu), per_luma(cgv));
        let luma_offset = if colour.full_range { 384 } else { 326 } + LUMA_HEADROOM;
        let base = -(384 << 16) - LUMA_HEADROOM * cy - oy + 0x8000;
        Converter {
            base: base as i32,
            cy: cy as i32,
            red_v: Term::new(crv, luma_offset),
            green_u: Term::new(cgu, luma_offset),
            green_v: Term::new(cgv, 0),
            blue_u: Term::new(cbu, luma_offset),
        }
    }

    /// Converts one planar 4:2:2 picture (`width` even) to packed RGB24.
    pub(crate) fn convert(&self, yuv: &[u8], width: usize, height: usize, rgb: &mut [u8]) {
        self.convert_with(yuv, width, height, rgb, true);
    }

    /// [`Self::convert`]; `vectorised` lets it take 16 pixels at a time where the CPU can.
    fn convert_with(
        &self,
        yuv: &[u8],
        width: usize,
        height: usize,
        rgb: &mut [u8],
        vectorised: bool,
    ) {
        #[cfg(target_arch = "x86_64")]
        let simd = crate::simd::Avx2::detect().filter(|_| vectorised);
        #[cfg(not(target_arch = "x86_64"))]
        let _ = vectorised;
        let chroma_w = width / 2;
        let (luma, chroma) = yuv.split_at(width * height);
        let (u_plane, v_plane) = chroma.split_at(chroma_w * height);
        let rows = luma
            .chunks_exact(width)
            .zip(u_plane.chunks_exact(chroma_w))
            .zip(v_plane.chunks_exact(chroma_w))
            .zip(rgb.chunks_exact_mut(width * 3));
        for (((y_row, u_row), v_row), out) in rows {
            let mut done = 0;
            #[cfg(target_arch = "x86_64")]
            if let Some(avx2) = simd {
                done = super::yuv_rgb_avx2::row(avx2, self, y_row, u_row, v_row, out);
            }
            let pairs = y_row[done..]
                .chunks_exact(2)
                .zip(u_row[done / 2..].iter().zip(&v_row[done / 2..]))
                .zip(out[done * 3..].chunks_exact_mut(6));
            for ((ys, (&u, &v)), px) in pairs {
                let (r, g, b) = (
                    self.red_v.at(v),
                    self.green_u.at(u) + self.green_v.at(v),
                    self.blue_u.at(u),
                );
                for (y, px) in ys.iter().zip(px.chunks_exact_mut(3)) {
                    let y = i32::from(*y);
                    px[0] = self.luma(y + r);
                    px[1] = self.luma(y + g);
                    px[2] = self.luma(y + b);
                }
            }
        }
    }

    fn luma(&self, entry: i32) -> u8 {
        ((self.base + entry * self.cy) >> 16).clamp(0, 255) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_pixel(colour: Colour, y: u8, u: u8, v: u8) -> [u8; 3] {
        let mut rgb = [0u8; 6];
        Converter::new(colour).convert(&[y, y, u, v], 2, 1, &mut rgb);
        assert_eq!(rgb[..3], rgb[3..], "both pixels of a pair share the chroma");
        [rgb[0], rgb[1], rgb[2]]
    }

    #[test]
    fn limited_range_black_and_white() {
        let bt709 = Colour::from_names("bt709", "tv");
        assert_eq!(one_pixel(bt709, 16, 128, 128), [0, 0, 0]);
        // Not 255: swscale's C tables put limited-range white there (ffmpeg gives 0xfd too).
        assert_eq!(one_pixel(bt709, 235, 128, 128), [253, 253, 253]);
        assert_eq!(one_pixel(bt709, 255, 128, 128), [255, 255, 255]);
    }

    #[test]
    fn full_range_keeps_the_luma_scale() {
        let full = Colour::from_names("bt470bg", "pc");
        for y in [0, 1, 100, 128, 254, 255] {
            assert_eq!(one_pixel(full, y, 128, 128), [y, y, y]);
        }
    }

    #[test]
    fn saturated_colours_clip_instead_of_wrapping() {
        let bt601 = Colour::default();
        let primary = |[r, g, b]: [u8; 3], channel: usize| {
            let rgb = [r, g, b];
            let others_low = (0..3).filter(|&c| c != channel).all(|c| rgb[c] <= 15);
            assert!(rgb[channel] >= 240 && others_low, "{rgb:?}");
        };
        // BT.601 red, green and blue at limited range.
        primary(one_pixel(bt601, 81, 90, 240), 0);
        primary(one_pixel(bt601, 145, 54, 34), 1);
        primary(one_pixel(bt601, 41, 240, 110), 2);
        // Extremes saturate instead of wrapping.
        assert_eq!(one_pixel(bt601, 0, 128, 128), [0, 0, 0]);
        let [r, _, b] = one_pixel(bt601, 255, 255, 255);
        assert_eq!((r, b), (255, 255));
    }

    #[test]
    fn unknown_and_odd_spaces_fall_back_to_bt601() {
        let c = |s| Converter::new(Colour::from_names(s, "tv")).red_v.inc;
        assert_eq!(c("unknown"), c("bt470bg"));
        assert_eq!(c("gbr"), c("bt470bg"));
        assert_ne!(c("bt709"), c("bt470bg"));
    }

    #[test]
    fn sixteen_at_a_time_equals_one_at_a_time() {
        for (width, height) in [(2, 1), (16, 3), (38, 5), (360, 4), (46, 2)] {
            // Fibonacci hashing: every byte value, in no particular order.
            let yuv: Vec<u8> = (0..(width * height * 2) as u64)
                .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
                .collect();
            for colour in [
                Colour::default(),
                Colour::from_names("bt709", "tv"),
                Colour::from_names("bt709", "pc"),
                Colour::from_names("bt2020nc", "pc"),
                Colour::from_names("fcc", "tv"),
            ] {
                let conv = Converter::new(colour);
                let mut one = vec![0u8; width * height * 3];
                let mut many = one.clone();
                conv.convert_with(&yuv, width, height, &mut one, false);
                conv.convert_with(&yuv, width, height, &mut many, true);
                assert_eq!(one, many, "{width}×{height} {colour:?}");
            }
        }
    }
}
