//! One value (jump height, RSI) over an athlete's tests, as an SVG line with a dot per test.

use leptos::prelude::*;

use crate::domain::history::format_utc;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

/// `points`: (Unix seconds, value), oldest first.
#[component]
pub fn TrendChart(
    title: &'static str,
    unit: &'static str,
    decimals: usize,
    points: Vec<(i64, f64)>,
) -> impl IntoView {
    if points.is_empty() {
        return view! { <p class="text-sm text-slate-600">{format!("No {} measured yet.", title.to_lowercase())}</p> }.into_any();
    }
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.05).max(0.01);
    let (y0, y1) = ((lo - pad).max(0.0), hi + pad);
    let n = points.len();
    // Evenly spaced tests: a coach reads a sequence of sessions, not a calendar.
    let x = move |i: usize| {
        if n == 1 {
            (LEFT + WIDTH - RIGHT) / 2.0
        } else {
            LEFT + i as f64 / (n - 1) as f64 * (WIDTH - LEFT - RIGHT)
        }
    };
    let y = move |v: f64| HEIGHT - BOTTOM - (v - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM);
    let line = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1)))
        .collect::<Vec<_>>()
        .join(" ");
    let label = format!(
        "{title} over {n} test{}: from {:.decimals$} to {:.decimals$} {unit}.",
        if n == 1 { "" } else { "s" },
        points[0].1,
        points[n - 1].1,
    );
    let first_date = format_utc(points[0].0)[..10].to_string();
    let last_date = format_utc(points[n - 1].0)[..10].to_string();
    view! {
        <svg
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label=label
            class="h-auto w-full rounded-lg border border-slate-200 bg-white"
        >
            {[y0, (y0 + y1) / 2.0, y1]
                .into_iter()
                .map(|v| view! {
                    <g>
                        <line x1=format!("{LEFT}") x2=format!("{}", WIDTH - RIGHT) y1=format!("{:.1}", y(v)) y2=format!("{:.1}", y(v)) stroke="#e2e8f0"></line>
                        <text x=format!("{}", LEFT - 6.0) y=format!("{:.1}", y(v) + 3.0) text-anchor="end" font-size="10" fill="#475569">
                            {format!("{v:.decimals$}")}
                        </text>
                    </g>
                })
                .collect_view()}
            <text x=format!("{LEFT}") y=format!("{}", HEIGHT - 8.0) font-size="10" fill="#475569">{first_date}</text>
            <text x=format!("{}", WIDTH - RIGHT) y=format!("{}", HEIGHT - 8.0) text-anchor="end" font-size="10" fill="#475569">{last_date}</text>
            <polyline points=line fill="none" stroke="#0369a1" stroke-width="2.5"></polyline>
            {points
                .iter()
                .enumerate()
                .map(|(i, p)| view! {
                    <circle cx=format!("{:.1}", x(i)) cy=format!("{:.1}", y(p.1)) r="4" fill="#0369a1">
                        <title>{format!("{}: {:.decimals$} {unit}", format_utc(p.0), p.1)}</title>
                    </circle>
                })
                .collect_view()}
        </svg>
    }
    .into_any()
}
