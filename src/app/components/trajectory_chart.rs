//! The tracked hips and feet over time as an SVG chart, with the jump's phases shaded and its
//! events marked. Pure SVG: it renders on the server and needs no script.

use leptos::prelude::*;

use airtime_kinematics::{Event, TrajectoryPoint};

use crate::labels::event_label;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 32.0;

/// Phases worth shading, from one event to the next: (from, to, label, fill).
const PHASES: [(&str, &str, &str, &str); 6] = [
    (
        "countermovement_start",
        "lowest_point",
        "Eccentric",
        "#fde68a",
    ),
    ("lowest_point", "takeoff", "Concentric", "#bbf7d0"),
    ("box_leave", "first_contact", "Drop", "#e9d5ff"),
    ("first_contact", "takeoff", "Contact", "#fecaca"),
    ("concentric_start", "takeoff", "Push-off", "#bbf7d0"),
    ("takeoff", "landing", "Flight", "#bae6fd"),
];

#[derive(Debug, Clone, Copy)]
struct Scale {
    t0: f64,
    t1: f64,
    y0: f64,
    y1: f64,
}

impl Scale {
    fn x(&self, t: f64) -> f64 {
        LEFT + (t - self.t0) / (self.t1 - self.t0).max(1e-6) * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, metres: f64) -> f64 {
        HEIGHT
            - BOTTOM
            - (metres - self.y0) / (self.y1 - self.y0).max(1e-6) * (HEIGHT - TOP - BOTTOM)
    }
}

/// Seconds shown before the first event and after the last: the jump, not the whole clip.
const MARGIN_S: f64 = 0.6;

#[component]
pub fn TrajectoryChart(points: Vec<TrajectoryPoint>, events: Vec<Event>) -> impl IntoView {
    let points = around_events(points, &events);
    let Some(scale) = scale_for(&points) else {
        return view! { <p class="text-sm text-slate-600">"No trajectory to chart."</p> }
            .into_any();
    };
    let hip = polyline(&points, scale, |p| p.hip_height_m);
    let foot = polyline(&points, scale, |p| p.foot_height_m);
    let time_of = |name: &str| events.iter().find(|e| e.name == name).map(|e| e.time_s);
    let phases: Vec<_> = PHASES
        .iter()
        .filter_map(|&(from, to, label, fill)| {
            let (a, b) = (time_of(from)?, time_of(to)?);
            (b > a).then(|| (scale.x(a), scale.x(b), label, fill))
        })
        .collect();
    let y_ticks = ticks(scale.y0, scale.y1, 4);
    let x_ticks = ticks(scale.t0, scale.t1, 8);
    let summary = format!(
        "Hip and foot height over {:.1} seconds, with {} events marked.",
        scale.t1 - scale.t0,
        events.len()
    );

    view! {
        <figure class="space-y-2">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-label=summary
                class="h-auto w-full rounded-lg border border-slate-200 bg-white"
                data-testid="trajectory-chart"
            >
                {phases
                    .iter()
                    .map(|&(x0, x1, label, fill)| view! {
                        <g>
                            <rect x=n(x0) y=n(TOP) width=n(x1 - x0) height=n(HEIGHT - TOP - BOTTOM) fill=fill opacity="0.7"></rect>
                            <text x=n((x0 + x1) / 2.0) y=n(TOP + 12.0) text-anchor="middle" font-size="10" fill="#334155">{label}</text>
                        </g>
                    })
                    .collect_view()}
                {y_ticks
                    .iter()
                    .map(|&m| view! {
                        <g>
                            <line x1=n(LEFT) x2=n(WIDTH - RIGHT) y1=n(scale.y(m)) y2=n(scale.y(m)) stroke="#e2e8f0"></line>
                            <text x=n(LEFT - 6.0) y=n(scale.y(m) + 3.0) text-anchor="end" font-size="10" fill="#475569">
                                {format!("{:.0}", m * 100.0)}
                            </text>
                        </g>
                    })
                    .collect_view()}
                {x_ticks
                    .iter()
                    .map(|&t| view! {
                        <text x=n(scale.x(t)) y=n(HEIGHT - BOTTOM + 14.0) text-anchor="middle" font-size="10" fill="#475569">
                            {format!("{t:.2}")}
                        </text>
                    })
                    .collect_view()}
                <text x="12" y=n(TOP + 4.0) font-size="10" fill="#475569" transform=format!("rotate(-90 12 {})", TOP + 4.0) text-anchor="end">
                    "cm"
                </text>
                <text x=n(WIDTH - RIGHT) y=n(HEIGHT - 4.0) text-anchor="end" font-size="10" fill="#475569">"seconds"</text>
                {events
                    .iter()
                    .filter(|e| e.time_s >= scale.t0 && e.time_s <= scale.t1)
                    .map(|e| {
                        let x = scale.x(e.time_s);
                        view! {
                            <line x1=n(x) x2=n(x) y1=n(TOP) y2=n(HEIGHT - BOTTOM) stroke="#0f172a" stroke-dasharray="3 3" stroke-width="1">
                                <title>{format!("{} at {:.3} s", event_label(&e.name), e.time_s)}</title>
                            </line>
                        }
                    })
                    .collect_view()}
                <polyline points=foot fill="none" stroke="#64748b" stroke-width="1.5"></polyline>
                <polyline points=hip fill="none" stroke="#0369a1" stroke-width="2.5"></polyline>
            </svg>
            <figcaption class="flex flex-wrap gap-4 text-sm text-slate-600">
                <span><span class="mr-1 inline-block h-1 w-4 bg-sky-700 align-middle"></span>"Hips"</span>
                <span><span class="mr-1 inline-block h-1 w-4 bg-slate-500 align-middle"></span>"Feet"</span>
                <span>"Height above the floor in cm; dashed lines mark the events."</span>
            </figcaption>
        </figure>
    }
    .into_any()
}

fn around_events(points: Vec<TrajectoryPoint>, events: &[Event]) -> Vec<TrajectoryPoint> {
    let times = events.iter().map(|e| e.time_s);
    let (Some(first), Some(last)) = (times.clone().reduce(f64::min), times.reduce(f64::max)) else {
        return points;
    };
    let (from, to) = (first - MARGIN_S, last + MARGIN_S);
    points
        .into_iter()
        .filter(|p| p.time_s >= from && p.time_s <= to)
        .collect()
}

/// A coordinate as SVG text.
fn n(value: f64) -> String {
    format!("{value:.1}")
}

fn scale_for(points: &[TrajectoryPoint]) -> Option<Scale> {
    let (first, last) = (points.first()?, points.last()?);
    let heights = points
        .iter()
        .flat_map(|p| [p.hip_height_m, p.foot_height_m])
        .flatten();
    let (lo, hi) = heights.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), h| {
        (lo.min(h), hi.max(h))
    });
    if !lo.is_finite() || last.time_s <= first.time_s {
        return None;
    }
    let pad = ((hi - lo) * 0.08).max(0.02);
    Some(Scale {
        t0: first.time_s,
        t1: last.time_s,
        y0: (lo - pad).min(0.0),
        y1: hi + pad,
    })
}

/// SVG points of one series; gaps (untracked frames) are bridged.
fn polyline(
    points: &[TrajectoryPoint],
    scale: Scale,
    value: impl Fn(&TrajectoryPoint) -> Option<f64>,
) -> String {
    points
        .iter()
        .filter_map(|p| {
            Some(format!(
                "{:.1},{:.1}",
                scale.x(p.time_s),
                scale.y(value(p)?)
            ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// About `count` round tick values between `lo` and `hi`.
fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-6);
    let raw = span / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + 1e-9 && out.len() < 20 {
        out.push(if t.abs() < 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_inside_the_range() {
        assert_eq!(ticks(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(ticks(0.3, 2.9, 6), vec![0.5, 1.0, 1.5, 2.0, 2.5]);
    }
}
