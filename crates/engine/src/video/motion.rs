//! Global camera motion (pan/tilt/shake) from decoded frames, so that athlete positions can be
//! expressed relative to the floor rather than to a hand-held, drifting picture.
//!
//! Method: a half-size grey image and a quarter-size copy per frame. Textured blocks (texture
//! in both directions, so edges that only pin down one axis are skipped) are chosen on a
//! *reference* frame and matched in the current frame: SAD over a window around the predicted
//! position at quarter size, then SSD at half size with a parabolic sub-pixel fit. The median
//! over blocks is the shift. Measuring against a reference frame rather than the previous one
//! keeps rounding errors from accumulating; the reference is renewed when the overlap gets
//! small or too few blocks still match. Integer arithmetic up to the sub-pixel fit, one thread:
//! the same frames always give the same answer.

use super::decode::Frame;

/// Blocks are 16×16 at half size (32×32 decoded pixels).
const BLOCK: usize = 16;
/// Blocks matched per frame; more is steadier, fewer is faster.
const MAX_BLOCKS: usize = 32;
/// Fewest agreeing blocks for a measurement to count.
const MIN_BLOCKS: usize = 4;
/// Frames without a measurement before the reference frame is given up.
const MAX_FAILURES: u32 = 5;
/// Coarse search radius in quarter pixels around the prediction (±20 decoded px).
const COARSE_RADIUS: i32 = 5;
/// Fine search radius in half pixels around the coarse result.
const FINE_RADIUS: i32 = 2;

#[derive(Clone)]
struct Gray {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Gray {
    /// 2×2 box average of luma (R + 2G + B) / 4: halves the work and suppresses sensor noise
    /// and compression ringing.
    fn half_of(frame: &Frame) -> Gray {
        let (fw, fh) = (frame.width as usize, frame.height as usize);
        let (w, h) = (fw / 2, fh / 2);
        let mut px = vec![0u8; w * h];
        let stride = fw * 3;
        for y in 0..h {
            let r0 = &frame.rgb[2 * y * stride..2 * y * stride + stride];
            let r1 = &frame.rgb[(2 * y + 1) * stride..(2 * y + 1) * stride + stride];
            let out = &mut px[y * w..y * w + w];
            for (x, o) in out.iter_mut().enumerate() {
                let i = 6 * x;
                let luma = |r: &[u8], j: usize| {
                    u32::from(r[j]) + 2 * u32::from(r[j + 1]) + u32::from(r[j + 2])
                };
                let sum = luma(r0, i) + luma(r0, i + 3) + luma(r1, i) + luma(r1, i + 3);
                *o = ((sum + 8) >> 4) as u8;
            }
        }
        Gray { w, h, px }
    }

    fn halved(&self) -> Gray {
        let (w, h) = (self.w / 2, self.h / 2);
        let mut px = vec![0u8; w * h];
        for y in 0..h {
            let r0 = &self.px[2 * y * self.w..];
            let r1 = &self.px[(2 * y + 1) * self.w..];
            for x in 0..w {
                let s = u32::from(r0[2 * x])
                    + u32::from(r0[2 * x + 1])
                    + u32::from(r1[2 * x])
                    + u32::from(r1[2 * x + 1]);
                px[y * w + x] = ((s + 2) >> 2) as u8;
            }
        }
        Gray { w, h, px }
    }

    fn row(&self, x: usize, y: usize, len: usize) -> &[u8] {
        &self.px[y * self.w + x..y * self.w + x + len]
    }
}

/// Sum of absolute differences between a `size`² block of `a` at (ax, ay) and of `b` at (bx, by).
fn sad(a: &Gray, ax: usize, ay: usize, b: &Gray, bx: usize, by: usize, size: usize) -> u32 {
    block_cost(a, (ax, ay), b, (bx, by), size, |d| d)
}

/// Sum of squared differences between the same blocks.
fn ssd(a: &Gray, ax: usize, ay: usize, b: &Gray, bx: usize, by: usize, size: usize) -> u32 {
    block_cost(a, (ax, ay), b, (bx, by), size, |d| d * d)
}

/// Sum of `cost(|p − q|)` over the pixels of two `size`² blocks.
fn block_cost(
    a: &Gray,
    (ax, ay): (usize, usize),
    b: &Gray,
    (bx, by): (usize, usize),
    size: usize,
    cost: impl Fn(u32) -> u32,
) -> u32 {
    let mut total = 0u32;
    for r in 0..size {
        let ra = a.row(ax, ay + r, size);
        let rb = b.row(bx, by + r, size);
        total += ra
            .iter()
            .zip(rb)
            .map(|(&p, &q)| cost(u32::from(p.abs_diff(q))))
            .sum::<u32>();
    }
    total
}

struct Reference {
    half: Gray,
    quarter: Gray,
    /// Shift of the reference frame relative to the first frame, decoded pixels.
    offset: (f32, f32),
    /// Candidate block corners (half-size pixels), most textured first.
    blocks: Vec<(usize, usize)>,
}

/// Estimates, for each pushed frame, how far the background has moved since the first frame.
///
/// Sign convention: a background point at (x, y) in the first frame appears at
/// (x + dx, y + dy) in the current one. Panning the camera right moves the background left,
/// so dx becomes negative.
pub struct MotionEstimator {
    reference: Option<Reference>,
    prev_quarter: Option<Gray>,
    /// Last shift and its change from the frame before, for a constant-velocity prediction
    /// of where to search.
    last: (f32, f32),
    velocity: (f32, f32),
    activity: f32,
    blocks_used: usize,
    /// Consecutive frames without a measurement.
    failures: u32,
}

impl Default for MotionEstimator {
    fn default() -> Self {
        Self::new()
    }
}

impl MotionEstimator {
    pub fn new() -> Self {
        MotionEstimator {
            reference: None,
            prev_quarter: None,
            last: (0.0, 0.0),
            velocity: (0.0, 0.0),
            activity: 0.0,
            blocks_used: 0,
            failures: 0,
        }
    }

    /// Feeds the next frame and returns its background shift relative to the first frame, in
    /// pixels of the decoded frame. `exclude` is the athlete's box (x0, y0, x1, y1, decoded
    /// pixels) in this frame; blocks touching it are ignored so the jump itself is not taken
    /// for camera motion. A frame with too little texture repeats the previous shift.
    pub fn push(&mut self, frame: &Frame, exclude: Option<(f32, f32, f32, f32)>) -> (f32, f32) {
        let half = Gray::half_of(frame);
        let quarter = half.halved();
        self.update_activity(&quarter);
        self.prev_quarter = Some(quarter.clone());

        let reference = match &self.reference {
            Some(r) if r.half.w == half.w && r.half.h == half.h => r,
            _ => {
                // First frame, or the size changed: start over from here.
                let shift = if self.reference.is_some() {
                    self.last
                } else {
                    (0.0, 0.0)
                };
                self.reset_reference(half, quarter, shift, exclude);
                self.velocity = (0.0, 0.0);
                self.last = shift;
                return shift;
            }
        };

        let predicted = (self.last.0 + self.velocity.0, self.last.1 + self.velocity.1);
        let rel_pred = (
            (predicted.0 - reference.offset.0) / 2.0,
            (predicted.1 - reference.offset.1) / 2.0,
        );
        let exclude_half = exclude.map(|(x0, y0, x1, y1)| {
            // A margin of one block so a block straddling the outline is skipped too.
            let m = BLOCK as f32;
            (x0 / 2.0 - m, y0 / 2.0 - m, x1 / 2.0 + m, y1 / 2.0 + m)
        });
        let mut dxs = Vec::with_capacity(MAX_BLOCKS);
        let mut dys = Vec::with_capacity(MAX_BLOCKS);
        for &(bx, by) in &reference.blocks {
            if dxs.len() >= MAX_BLOCKS {
                break;
            }
            if let Some((x0, y0, x1, y1)) = exclude_half {
                let cx = bx as f32 + rel_pred.0;
                let cy = by as f32 + rel_pred.1;
                let b = BLOCK as f32;
                if cx < x1 && cx + b > x0 && cy < y1 && cy + b > y0 {
                    continue;
                }
            }
            if let Some((dx, dy)) = match_block(reference, &half, &quarter, bx, by, rel_pred) {
                dxs.push(dx);
                dys.push(dy);
            }
        }

        let Some((rel, inliers)) = robust_mean(&dxs, &dys) else {
            // No trustworthy measurement: hold the last shift and keep the reference, so a
            // few bad frames (motion blur, a hand over the lens) do not add drift. A reference
            // with too little texture, or one that keeps failing, is replaced though, or the
            // estimator would stay blind for the rest of the clip.
            self.blocks_used = 0;
            self.velocity = (0.0, 0.0);
            self.failures += 1;
            if reference.blocks.len() < 2 * MIN_BLOCKS || self.failures >= MAX_FAILURES {
                let last = self.last;
                self.reset_reference(half, quarter, last, exclude);
            }
            return self.last;
        };
        self.failures = 0;
        self.blocks_used = inliers;
        let shift = (
            reference.offset.0 + 2.0 * rel.0,
            reference.offset.1 + 2.0 * rel.1,
        );
        // Renew the reference before the overlap or the block supply runs out. Every renewal
        // adds that frame's sub-pixel error for good, so it happens as rarely as possible.
        let far = rel.0.abs() > half.w as f32 * 0.2 || rel.1.abs() > half.h as f32 * 0.2;
        if far || inliers < 2 * MIN_BLOCKS {
            self.reset_reference(half, quarter, shift, exclude);
        }
        self.velocity = (shift.0 - self.last.0, shift.1 - self.last.1);
        self.last = shift;
        shift
    }

    /// Mean absolute grey-level difference (0-255) between the last two pushed frames at
    /// quarter size, without motion compensation: a cheap "is anything moving" signal.
    pub fn activity(&self) -> f32 {
        self.activity
    }

    /// Updates [`activity`](Self::activity) only, skipping the motion search, for a fast first
    /// pass over a clip. Do not mix with `push` on the same estimator.
    pub fn push_activity_only(&mut self, frame: &Frame) -> f32 {
        let quarter = Gray::half_of(frame).halved();
        self.update_activity(&quarter);
        self.prev_quarter = Some(quarter);
        self.activity
    }

    /// Blocks that contributed to the last shift; a handful means a weak estimate.
    pub fn blocks_used(&self) -> usize {
        self.blocks_used
    }

    fn update_activity(&mut self, quarter: &Gray) {
        self.activity = match &self.prev_quarter {
            Some(p) if p.w == quarter.w && p.h == quarter.h && !p.px.is_empty() => {
                let total: u64 =
                    p.px.iter()
                        .zip(&quarter.px)
                        .map(|(&a, &b)| u64::from(a.abs_diff(b)))
                        .sum();
                total as f32 / p.px.len() as f32
            }
            _ => 0.0,
        };
    }

    fn reset_reference(
        &mut self,
        half: Gray,
        quarter: Gray,
        offset: (f32, f32),
        exclude: Option<(f32, f32, f32, f32)>,
    ) {
        let blocks = select_blocks(&half, exclude);
        self.failures = 0;
        self.reference = Some(Reference {
            half,
            quarter,
            offset,
            blocks,
        });
    }
}

/// Grid blocks ranked by the weaker of their horizontal and vertical gradient energy.
fn select_blocks(half: &Gray, exclude: Option<(f32, f32, f32, f32)>) -> Vec<(usize, usize)> {
    let mut scored = Vec::new();
    if half.w < 2 * BLOCK || half.h < 2 * BLOCK {
        return Vec::new();
    }
    // Stay one coarse search radius away from the border so most searches fit.
    let margin = (2 * COARSE_RADIUS as usize).max(4);
    let step = BLOCK;
    let mut y = margin;
    while y + BLOCK + margin <= half.h {
        let mut x = margin;
        while x + BLOCK + margin <= half.w {
            let skip = exclude.is_some_and(|(x0, y0, x1, y1)| {
                let (bx0, by0) = (2.0 * x as f32, 2.0 * y as f32);
                let (bx1, by1) = (bx0 + 2.0 * BLOCK as f32, by0 + 2.0 * BLOCK as f32);
                bx0 < x1 && bx1 > x0 && by0 < y1 && by1 > y0
            });
            if !skip {
                let (mut gx, mut gy) = (0u32, 0u32);
                for r in 0..BLOCK {
                    let row = half.row(x, y + r, BLOCK + 1);
                    let below = half.row(x, y + r + 1, BLOCK);
                    for c in 0..BLOCK {
                        gx += u32::from(row[c].abs_diff(row[c + 1]));
                        gy += u32::from(row[c].abs_diff(below[c]));
                    }
                }
                let score = gx.min(gy);
                // About 2 grey levels per pixel in the weaker direction: below that, noise and
                // compression artefacts dominate the match.
                if score >= 2 * (BLOCK * BLOCK) as u32 {
                    scored.push((score, x, y));
                }
            }
            x += step;
        }
        y += step;
    }
    // Ties broken by position so the order never depends on anything but the pixels.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(&b.2)).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, x, y)| (x, y)).collect()
}

/// Where the reference block at half-size (bx, by) went in the current frame, as a
/// displacement in half-size pixels, or None when the search leaves the picture or the best
/// match sits on the edge of the window (no minimum inside).
fn match_block(
    reference: &Reference,
    half: &Gray,
    quarter: &Gray,
    bx: usize,
    by: usize,
    rel_pred: (f32, f32),
) -> Option<(f32, f32)> {
    let qb = BLOCK / 2;
    let (qx, qy) = (bx / 2, by / 2);
    let centre = (
        (rel_pred.0 / 2.0).round() as i32,
        (rel_pred.1 / 2.0).round() as i32,
    );
    let mut best = (u32::MAX, 0i32, 0i32);
    for dy in centre.1 - COARSE_RADIUS..=centre.1 + COARSE_RADIUS {
        let y = qy as i32 + dy;
        if y < 0 || y as usize + qb > quarter.h {
            continue;
        }
        for dx in centre.0 - COARSE_RADIUS..=centre.0 + COARSE_RADIUS {
            let x = qx as i32 + dx;
            if x < 0 || x as usize + qb > quarter.w {
                continue;
            }
            let cost = sad(
                &reference.quarter,
                qx,
                qy,
                quarter,
                x as usize,
                y as usize,
                qb,
            );
            if cost < best.0 {
                best = (cost, dx, dy);
            }
        }
    }
    if best.0 == u32::MAX {
        return None;
    }

    let r = FINE_RADIUS;
    let side = (2 * r + 1) as usize;
    let mut costs = vec![u32::MAX; side * side];
    let mut fine = (u32::MAX, 0i32, 0i32);
    for j in -r..=r {
        for i in -r..=r {
            let (dx, dy) = (2 * best.1 + i, 2 * best.2 + j);
            let (x, y) = (bx as i32 + dx, by as i32 + dy);
            if x < 0 || y < 0 || x as usize + BLOCK > half.w || y as usize + BLOCK > half.h {
                continue;
            }
            let cost = ssd(&reference.half, bx, by, half, x as usize, y as usize, BLOCK);
            costs[((j + r) as usize) * side + (i + r) as usize] = cost;
            if cost < fine.0 {
                fine = (cost, i, j);
            }
        }
    }
    let (best_cost, i, j) = fine;
    // A minimum on the window edge is not a minimum, and a residual above ~20 grey levels RMS
    // means the content changed (something moving, occlusion) rather than shifted.
    if i.abs() == r || j.abs() == r || best_cost > (BLOCK * BLOCK) as u32 * 400 {
        return None;
    }
    let at = |i: i32, j: i32| costs[((j + r) as usize) * side + (i + r) as usize] as f32;
    let sub = |minus: f32, centre: f32, plus: f32| {
        let curvature = minus - 2.0 * centre + plus;
        if curvature > 0.0 {
            (0.5 * (minus - plus) / curvature).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    };
    let fx = sub(at(i - 1, j), at(i, j), at(i + 1, j));
    let fy = sub(at(i, j - 1), at(i, j), at(i, j + 1));
    Some(((2 * best.1 + i) as f32 + fx, (2 * best.2 + j) as f32 + fy))
}

/// Median to reject blocks on moving things, then the mean of the blocks that agree with it
/// (within one half-size pixel) for sub-pixel precision, with their count. None when too few
/// agree.
fn robust_mean(dxs: &[f32], dys: &[f32]) -> Option<((f32, f32), usize)> {
    if dxs.len() < MIN_BLOCKS {
        return None;
    }
    let mx = median(&mut dxs.to_vec());
    let my = median(&mut dys.to_vec());
    let (mut sx, mut sy, mut n) = (0.0f32, 0.0f32, 0usize);
    for (&dx, &dy) in dxs.iter().zip(dys) {
        if (dx - mx).abs() <= 1.0 && (dy - my).abs() <= 1.0 {
            sx += dx;
            sy += dy;
            n += 1;
        }
    }
    (n >= MIN_BLOCKS).then(|| ((sx / n as f32, sy / n as f32), n))
}

/// Median with the lower middle for even counts; total_cmp keeps it deterministic with NaN.
fn median(v: &mut [f32]) -> f32 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}
